package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.config.Jsonc;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.util.Set;
import java.util.UUID;

/**
 * Strict JSON input: one value, no duplicate keys, no unknown fields, no hidden characters in strings; errors name the
 * field. Comments are allowed: the seed's service bodies, "the expected contract of the REST API", carry them.
 */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** A multipart/form-data body: a "--boundary" line, then a part with Content-Disposition: form-data. */
    private static boolean multipart(byte[] body) {
        String head = new String(body, 0, Math.min(body.length, 1024), java.nio.charset.StandardCharsets.ISO_8859_1);
        return head.startsWith("--") && head.toLowerCase(java.util.Locale.ROOT).contains("content-disposition: form-data");
    }

    /** The body as a JSON object, or 400. */
    static JsonNode parseObject(byte[] body) {
        if (body == null || body.length == 0) {
            throw ApiException.invalid("body: a JSON object is required");
        }
        JsonNode n;
        try {
            n = MAPPER.readTree(body);
        } catch (JacksonException e) {
            if (multipart(body)) { // wrangler's script upload, or curl -F
                throw ApiException.invalid("body: multipart/form-data is not taken here; send application/json, e.g."
                        + " {\"bindings\":[...]} (edge deploy does it from a wrangler file)");
            }
            throw ApiException.invalid("body: malformed JSON (" + Jsonc.reason(e) + ")");
        }
        if (n == null || !n.isObject()) {
            throw ApiException.invalid("body: a JSON object is required");
        }
        return n;
    }

    /** 400 naming the first field of n that is not in allowed. */
    static void onlyFields(JsonNode n, String path, Set<String> allowed) {
        for (String name : n.propertyNames()) {
            if (!allowed.contains(name)) {
                throw ApiException.invalid(join(path, name) + ": unknown field (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    static boolean present(JsonNode n, String name) {
        JsonNode v = n.get(name);
        return v != null && !v.isNull();
    }

    static String optString(JsonNode n, String path, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            throw ApiException.invalid(join(path, name) + ": must be a string");
        }
        return text(v.stringValue(), join(path, name));
    }

    /**
     * s, or 400 naming the field if it holds a control character (C0, DEL, C1), an invisible formatting character
     * (Unicode category Cf, as U+202E that reverses the text shown after it) or half of a UTF-16 surrogate pair: names
     * and comments end up in listings, terminals and logs, where such characters hide or forge what is shown.
     */
    static String text(String s, String field) {
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String kind = Character.isISOControl(cp) ? "control character"
                    : Character.getType(cp) == Character.FORMAT ? "formatting character"
                    : Character.getType(cp) == Character.SURROGATE ? "unpaired surrogate" : null;
            if (kind != null) {
                throw ApiException.invalid(String.format("%s: %s U+%04X at offset %d is not allowed (no control, "
                        + "invisible formatting or unpaired surrogate characters)", field, kind, cp, i));
            }
            i += Character.charCount(cp);
        }
        return s;
    }

    /** A value as an error message shows it: a string in quotes, anything else as its JSON, cut at 100 characters. */
    static String shown(JsonNode v) {
        String s = v.isString() ? "'" + v.stringValue() + "'" : v.toString();
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }

    static String reqString(JsonNode n, String path, String name) {
        String s = optString(n, path, name);
        if (s == null || s.isBlank()) {
            throw ApiException.invalid(join(path, name) + ": is required");
        }
        if (s.length() > 255) {
            throw ApiException.invalid(join(path, name) + ": at most 255 characters");
        }
        return s;
    }

    static UUID reqUuid(JsonNode n, String path, String name) {
        String s = reqString(n, path, name);
        return uuid(s, join(path, name));
    }

    /** A value the client sent, cut to 40 characters for an error message. */
    static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    static UUID uuid(String s, String field) {
        try {
            if (s.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field + ": '" + s + "' is not a UUID");
        }
    }

    static JsonNode optObject(JsonNode n, String path, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw ApiException.invalid(join(path, name) + ": must be an object");
        }
        return v;
    }

    /** A port 1-65535, or null when absent. */
    static Integer optPort(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1 || v.intValue() > 65535) {
            throw ApiException.invalid(name + ": must be an integer port from 1 to 65535");
        }
        return v.intValue();
    }

    static byte[] write(JsonNode n) {
        return MAPPER.writeValueAsBytes(n);
    }
}
