package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.prune4j.io.json.Json;
import org.prune4j.opencl.Devices;

/** {@code --device} and {@code prune4j devices} through the command line, with and without an OpenCL platform. */
class DeviceOptionCliTest {

    record Run(int code, String out, String err) {}

    /** Runs prune4j in a child JVM whose OpenCL ICD loader sees no driver at all (OCL_ICD_VENDORS = an empty folder). */
    static Run withoutOpenCL(String... args) throws Exception {
        Path empty = Files.createTempDirectory("no-icd");
        try {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), "org.prune4j.cli.Main"));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("OCL_ICD_VENDORS", empty.toString());
            Path err = Files.createTempFile("stderr", ".txt");
            pb.redirectError(err.toFile());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "prune4j did not finish");
            String e = Files.readString(err);
            Files.delete(err);
            return new Run(p.exitValue(), out, e);
        } finally {
            Files.deleteIfExists(empty);
        }
    }

    @Test
    void openclWithoutAPlatformIsAClearErrorNotAFallback() throws Exception {
        Run r = withoutOpenCL("eval", "--model", "/nonexistent-model", "--text", "/nonexistent.txt", "--seq-len", "8", "--device", "opencl");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("prune4j: --device opencl: no OpenCL device found ("), r.err());
        Run devices = withoutOpenCL("devices", "--json");
        assertEquals(0, devices.code(), devices.err());
        String[] lines = devices.out().strip().split("\n");
        Map<String, Object> j = Json.parseObject(lines[lines.length - 1], false);
        assertEquals(false, j.get("available"));
        assertEquals("cpu", j.get("auto"), "auto runs on the CPU backend without an OpenCL GPU");
        assertEquals(null, j.get("opencl"));
        assertFalse(((String) j.get("reason")).isBlank());
    }

    @Test
    void devicesListsWhatDevicesSees() throws Exception {
        Cli r = Cli.run("devices", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.lastLine(), false);
        assertEquals(Devices.available(), j.get("available"));
        assertEquals(Devices.list().size(), ((List<?>) j.get("devices")).size());
        for (int i = 0; i < Devices.list().size(); i++)
            assertEquals(Devices.list().get(i).name(), ((Map<?, ?>) ((List<?>) j.get("devices")).get(i)).get("name"));
    }

    @Test
    void badDeviceSpecIsAUsageError() {
        Cli bad = Cli.run("eval", "--model", "x", "--text", "y", "--seq-len", "8", "--device", "gpu");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--device must be cpu, opencl, opencl:INDEX or auto, got 'gpu'"), bad.err());
    }
}
