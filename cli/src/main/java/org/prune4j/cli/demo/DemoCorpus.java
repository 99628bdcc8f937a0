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
            new Person("Lily", "she", "her"), new Person("Mia", "she", "her"), new Person("Anna", "she", "her"),
            new Person("Zoe", "she", "her"), new Person("Lucy", "she", "her"), new Person("Emma", "she", "her"));
    private static final List<String> ANIMALS = List.of("cat", "dog", "bird", "frog", "rabbit", "duck", "fish", "puppy");
    private static final List<String> THINGS = List.of("ball", "kite", "box", "book", "hat", "cake", "boat", "drum", "cup", "car");
    private static final List<String> COLORS = List.of("red", "blue", "green", "yellow", "pink", "big", "small", "shiny", "old", "new");
    private static final List<String> PLACES = List.of("park", "garden", "forest", "beach", "river", "farm", "school", "hill");
    private static final List<String> HAPPY = List.of("happy", "glad", "excited", "proud");
    private static final List<String> SAD = List.of("sad", "tired", "scared", "hungry");
    private static final List<String> PET_NAMES = List.of("Spot", "Fluffy", "Coco", "Bella", "Sunny", "Pip", "Rex", "Daisy");
    private static final List<String> WEATHER = List.of("sunny", "rainy", "windy", "warm", "cold");

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

    private static String cap(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** One story of 6 to 11 sentences about one child, a friend, a pet, a thing and a place. */
    static void story(SplittableRandom r, StringBuilder sb) {
        Person a = pick(r, PEOPLE), b;
        do b = pick(r, PEOPLE); while (b == a);
        String pet = pick(r, ANIMALS), thing = pick(r, THINGS), color = pick(r, COLORS), place = pick(r, PLACES);
        String he = a.he(), his = a.his();
        sb.append(switch (r.nextInt(3)) {
            case 0 -> "Once upon a time, there was a little " + (he.equals("he") ? "boy" : "girl") + " named " + a.name() + ".";
            case 1 -> "One " + pick(r, WEATHER) + " day, " + a.name() + " went to the " + place + ".";
            default -> a.name() + " had a " + color + " " + thing + ".";
        });
        sb.append(' ').append(cap(he)).append(" had a ").append(pet).append(" called ").append(pick(r, PET_NAMES)).append('.');
        int[] order = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; // each kind of sentence at most once per story
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int n = 4 + r.nextInt(6);
        boolean lost = false;
        for (int i = 0; i < n; i++) {
            sb.append(' ');
            switch (order[i]) {
                case 0 -> sb.append(cap(he)).append(" saw a ").append(color).append(' ').append(thing).append(" near the ").append(place).append('.');
                case 1 -> sb.append("The ").append(pet).append(" was ").append(pick(r, HAPPY)).append(" and ran to ").append(a.name()).append('.');
                case 2 -> sb.append(a.name()).append(" gave the ").append(thing).append(" to ").append(b.name()).append(". ")
                        .append(b.name()).append(" said, \"Thank you, ").append(a.name()).append("!\"");
                case 3 -> sb.append(a.name()).append(" and ").append(b.name()).append(" played with the ").append(thing).append(" all day.");
                case 4 -> {
                    sb.append("Then ").append(he).append(" lost ").append(his).append(' ').append(thing).append(". ")
                            .append(cap(he)).append(" was very ").append(pick(r, SAD)).append('.');
                    lost = true;
                }
                case 5 -> {
                    if (lost) {
                        sb.append(b.name()).append(" helped ").append(a.name()).append(" look for the ").append(thing).append(". They found it under a tree.");
                        lost = false;
                    } else {
                        sb.append("The sky was ").append(pick(r, WEATHER)).append(" and the birds sang.");
                    }
                }
                case 6 -> sb.append(cap(his)).append(" mom said, \"Be careful at the ").append(place).append(", ").append(a.name()).append(".\"");
                case 7 -> sb.append("The ").append(pet).append(" liked to sleep next to the ").append(thing).append('.');
                case 8 -> sb.append(a.name()).append(" counted ").append(2 + r.nextInt(8)).append(' ').append(thing).append("s in the ").append(place).append('.');
                default -> sb.append(cap(he)).append(" wanted to show the ").append(thing).append(" to ").append(b.name()).append('.');
            }
        }
        sb.append(" At the end of the day, ").append(a.name()).append(" was ").append(pick(r, HAPPY)).append(". The end.");
    }
}
