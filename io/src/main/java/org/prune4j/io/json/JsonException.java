package org.prune4j.io.json;

import java.io.IOException;

/** Malformed JSON; the message gives the character offset and what was expected there. */
public class JsonException extends IOException {
    public JsonException(String message) {
        super(message);
    }
}
