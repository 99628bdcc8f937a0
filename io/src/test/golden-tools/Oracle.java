import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Golden ids from Hugging Face tokenizers (the Rust library, through DJL's binding ai.djl.huggingface:tokenizers,
 * which bundles it): for each tokenizer.json given and each text of texts.json, the ids without special tokens,
 * the ids with them (post-processor applied), and decode(ids, skip_special_tokens=true).
 * Run: java -cp 'lib/*:.' Oracle TEXTS.json OUT_DIR tokenizer.json...  (see README.md)
 */
public class Oracle {
    public static void main(String[] a) throws Exception {
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        List<String> texts = gson.fromJson(Files.readString(Path.of(a[0])), new TypeToken<List<String>>() {}.getType());
        for (int f = 2; f < a.length; f++) {
            Path tokFile = Path.of(a[f]);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("about", "Hugging Face tokenizers " + System.getProperty("oracle.version", "?")
                    + " (via ai.djl.huggingface:tokenizers) on " + tokFile.getFileName());
            List<Object> cases = new ArrayList<>();
            try (HuggingFaceTokenizer plain = HuggingFaceTokenizer.builder().optTokenizerPath(tokFile).optAddSpecialTokens(false).optTruncation(false).optPadding(false).build();
                 HuggingFaceTokenizer special = HuggingFaceTokenizer.builder().optTokenizerPath(tokFile).optAddSpecialTokens(true).optTruncation(false).optPadding(false).build()) {
                for (String t : texts) {
                    Encoding e = plain.encode(t);
                    long[] ids = e.getIds();
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("text", t);
                    c.put("ids", ids);
                    c.put("ids_with_special", special.encode(t).getIds());
                    c.put("decoded", plain.decode(ids, true));
                    cases.add(c);
                }
            }
            out.put("cases", cases);
            String name = tokFile.getFileName().toString().replace(".json", "") + ".golden.json";
            Files.writeString(Path.of(a[1]).resolve(name), gson.toJson(out));
            System.out.println("wrote " + name + " (" + cases.size() + " cases)");
        }
    }
}
