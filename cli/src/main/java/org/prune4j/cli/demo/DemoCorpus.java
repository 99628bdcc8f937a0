package org.prune4j.cli.demo;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's own training and evaluation text: short stories from a small grammar, deterministic in a seed. Each
 * story keeps its characters, pet, object and place, so a model can learn more than word frequencies (pronouns
 * that agree with names, objects that recur, sentence order); held-out text is the same grammar under another seed.
 */
public final class DemoCorpus {
    private DemoCorpus() {}

    /** Stories are separated by this line (what {@code --doc-separator} takes). */
    public static final String SEPARATOR = "<|endoftext|>";

    private record Person(String name, String he, String his) {}

    private static final List<Person> PEOPLE = List.of(
            new Person("Tom", "he", "his"), new Person("Ben", "he", "his"), new Person("Sam", "he", "his"),
            new Person("Tim", "he", "his"), new Person("Leo", "he", "his"), new Person("Jack", "he", "his"),
            new Person("Max", "he", "his"), new Person("Joe", "he", "his"), new Person("Finn", "he", "his"),
            new Person("Lily", "she", "her"), new Person("Mia", "she", "her"), new Person("Anna", "she", "her"),
            new Person("Zoe", "she", "her"), new Person("Lucy", "she", "her"), new Person("Emma", "she", "her"),
            new Person("Sara", "she", "her"), new Person("Ella", "she", "her"), new Person("Kate", "she", "her"));
    private static final List<String> ANIMALS = List.of("cat", "dog", "bird", "frog", "rabbit", "duck", "fish", "puppy",
            "kitten", "turtle", "mouse", "pony", "goat", "bear", "owl", "fox");
    private static final List<String> THINGS = List.of("ball", "kite", "box", "book", "hat", "cake", "boat", "drum", "cup", "car",
            "doll", "shell", "stick", "rock", "flower", "apple", "bell", "map", "sock", "spoon");
    private static final List<String> ADJECTIVES = List.of("red", "blue", "green", "yellow", "pink", "big", "small", "shiny", "old",
            "new", "soft", "funny", "tiny", "round", "pretty", "dirty");
    private static final List<String> PLACES = List.of("park", "garden", "forest", "beach", "river", "farm", "school", "hill",
            "lake", "shop", "yard", "field");
    private static final List<String> PET_NAMES = List.of("Spot", "Fluffy", "Coco", "Bella", "Sunny", "Pip", "Rex", "Daisy", "Bubbles", "Rocky");
    private static final List<String> HAPPY = List.of("happy", "glad", "excited", "proud", "calm");
    private static final List<String> SAD = List.of("sad", "tired", "scared", "hungry", "angry", "bored");
    private static final List<String> WEATHER = List.of("sunny", "rainy", "windy", "warm", "cold", "cloudy");
    private static final List<String> FOODS = List.of("bread", "soup", "cookies", "rice", "an apple", "a pie", "milk", "jam");
    private static final List<String> MOVES = List.of("ran", "jumped", "walked", "danced", "hopped", "climbed", "swam", "raced");
    private static final List<String> TIMES = List.of("In the morning", "After lunch", "Later", "Soon", "Then", "The next day", "That evening");

    /** About {@code chars} characters of stories from {@code seed}, each followed by a separator line. */
    public static String generate(long seed, int chars) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(chars + 1024);
        while (sb.length() < chars) {
            story(r, sb);
            sb.append('\n').append(SEPARATOR).append('\n');
        }
        return sb.toString();
    }

    private static <T> T pick(SplittableRandom r, List<T> xs) {
        return xs.get(r.nextInt(xs.size()));
    }

    /** "a red" / "an old". */
    private static String an(String word) {
        return ("aeiou".indexOf(word.charAt(0)) >= 0 ? "an " : "a ") + word;
    }

    private static String cap(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** One story of 6 to 14 sentences about one child, a friend, a pet, a thing and a place. */
    static void story(SplittableRandom r, StringBuilder sb) {
        Person a = pick(r, PEOPLE), b;
        do b = pick(r, PEOPLE); while (b == a);
        String pet = pick(r, ANIMALS), petName = pick(r, PET_NAMES), thing = pick(r, THINGS), adj = pick(r, ADJECTIVES);
        String place = pick(r, PLACES), he = a.he(), his = a.his();
        int opening = r.nextInt(4);
        sb.append(switch (opening) {
            case 0 -> "Once upon a time, there was a little " + (he.equals("he") ? "boy" : "girl") + " named " + a.name() + ".";
            case 1 -> "One " + pick(r, WEATHER) + " day, " + a.name() + " went to the " + place + ".";
            case 2 -> a.name() + " had " + an(adj) + " " + thing + ".";
            default -> "There was " + an(pick(r, ADJECTIVES)) + " " + pet + " named " + petName + ". It lived with " + a.name() + ".";
        });
        if (opening != 3) sb.append(' ').append(cap(he)).append(" had ").append(an(pet)).append(" called ").append(petName).append('.');
        int n = 4 + r.nextInt(9);
        boolean lost = false;
        for (int i = 0; i < n; i++) {
            sb.append(' ');
            int start = sb.length();
            if (r.nextInt(4) == 0) sb.append(pick(r, TIMES)).append(", ");
            switch (r.nextInt(19)) {
                case 0 -> sb.append(he).append(" saw ").append(an(pick(r, ADJECTIVES))).append(' ').append(pick(r, THINGS)).append(" near the ").append(pick(r, PLACES)).append('.');
                case 1 -> sb.append(petName).append(" was ").append(pick(r, HAPPY)).append(" and ").append(pick(r, MOVES)).append(" to ").append(a.name()).append('.');
                case 2 -> sb.append(a.name()).append(" gave the ").append(thing).append(" to ").append(b.name()).append(". ")
                        .append(b.name()).append(" said, \"Thank you, ").append(a.name()).append("!\"");
                case 3 -> sb.append(a.name()).append(" and ").append(b.name()).append(" played with the ").append(thing).append(" all day.");
                case 4 -> {
                    sb.append(he).append(" lost ").append(his).append(' ').append(thing).append(". ")
                            .append(cap(he)).append(" was very ").append(pick(r, SAD)).append('.');
                    lost = true;
                }
                case 5 -> {
                    if (lost) {
                        sb.append(b.name()).append(" helped ").append(a.name()).append(" look for the ").append(thing)
                                .append(". They found it under a ").append(pick(r, List.of("tree", "bed", "table", "bush", "chair"))).append('.');
                        lost = false;
                    } else {
                        sb.append("the sky was ").append(pick(r, WEATHER)).append(" and the birds sang.");
                    }
                }
                case 6 -> sb.append(his).append(" mom said, \"Be careful at the ").append(place).append(", ").append(a.name()).append(".\"");
                case 7 -> sb.append("the ").append(pet).append(" liked to sleep next to the ").append(pick(r, List.of(thing, "door", "fire", "window"))).append('.');
                case 8 -> sb.append(a.name()).append(" counted ").append(2 + r.nextInt(18)).append(' ').append(pick(r, THINGS)).append("s at the ").append(pick(r, PLACES)).append('.');
                case 9 -> sb.append(he).append(" wanted to show the ").append(thing).append(" to ").append(b.name()).append('.');
                case 10 -> sb.append(a.name()).append(" and ").append(petName).append(' ').append(pick(r, MOVES)).append(" to the ").append(pick(r, PLACES)).append('.');
                case 11 -> sb.append(b.name()).append(" made ").append(pick(r, FOODS)).append(" for ").append(a.name()).append(" and ").append(petName).append('.');
                case 12 -> sb.append(he).append(" felt ").append(pick(r, SAD)).append(", so ").append(he).append(" sat down and ate ").append(pick(r, FOODS)).append('.');
                case 13 -> sb.append("\"Look at my ").append(pick(r, ADJECTIVES)).append(' ').append(thing).append("!\" said ").append(a.name()).append('.');
                case 14 -> sb.append(b.name()).append(" asked, \"Can I play with your ").append(pet).append(", ").append(a.name()).append("?\"");
                case 15 -> { // arithmetic the model has to carry out
                    int x = 1 + r.nextInt(9), y = 1 + r.nextInt(9);
                    String t = pick(r, THINGS);
                    sb.append(a.name()).append(" had ").append(x).append(' ').append(t).append("s. ").append(b.name()).append(" gave ")
                            .append(a.name()).append(' ').append(y).append(" more, so ").append(a.name()).append(" had ").append(x + y)
                            .append(' ').append(t).append("s.");
                }
                case 16 -> // recall of facts stated earlier in the story
                        sb.append("\"What is the name of your ").append(pet).append("?\" asked ").append(b.name()).append(". \"").append(petName)
                                .append(",\" said ").append(a.name()).append('.');
                case 17 -> sb.append(b.name()).append(" asked, \"Where did you find the ").append(thing).append("?\" \"At the ").append(place)
                        .append(",\" said ").append(a.name()).append('.');
                default -> sb.append("It was ").append(pick(r, WEATHER)).append(", and ").append(a.name()).append(" was ").append(pick(r, HAPPY)).append('.');
            }
            sb.setCharAt(start, Character.toUpperCase(sb.charAt(start)));
        }
        sb.append(" At the end of the day, ").append(a.name()).append(" was ").append(pick(r, HAPPY)).append(". The end.");
    }
}
