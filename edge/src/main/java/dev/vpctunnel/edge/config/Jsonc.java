package dev.vpctunnel.edge.config;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON as users write it by hand (wrangler.jsonc, the seed's service examples): comments and trailing commas allowed,
 * and a key given twice refused (by default the last one would win, unseen).
 */
public final class Jsonc {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate Object property \"(.*)\"");

    private Jsonc() {
    }

    /** The key a parse error of {@link #MAPPER} says is given twice, or null when the error is about something else. */
    public static String duplicateKey(JacksonException e) {
        Matcher d = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
        return d.matches() ? d.group(1) : null;
    }

    /**
     * What is wrong and where, for a person: Jackson's message without the description of its input it appends to
     * some ("(start marker at [Source: REDACTED …; byte offset: #UNKNOWN])"), with the line and column.
     */
    public static String reason(JacksonException e) {
        String m = String.valueOf(e.getOriginalMessage());
        int source = m.indexOf(" (start marker at [Source");
        if (source >= 0) {
            m = m.substring(0, source);
        }
        var at = e.getLocation();
        return at != null && at.getLineNr() > 0 ? m + " at line " + at.getLineNr() + ", column " + at.getColumnNr() : m;
    }
}
