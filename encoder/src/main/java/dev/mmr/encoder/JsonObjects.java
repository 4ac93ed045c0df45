package dev.mmr.encoder;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** Parses the small JSON objects of a model directory (config, preprocessing, safetensors header); duplicate fields are refused. */
final class JsonObjects {
    /** Refuses an object naming a field twice: which value wins would otherwise depend on the parser. */
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private JsonObjects() {
    }

    /** The JSON object in {@code bytes}; anything else is refused naming {@code source}. */
    static JsonNode parse(byte[] bytes, String source) throws CheckpointException {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(source + ": expected a JSON object");
        }
        return root;
    }
}
