package org.likra.tokenize.hf;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The decoders of tokenizer.json that the models read here use, each a step from token strings to strings (their
 * concatenation is the text):
 * <ul>
 *   <li>{@code ByteLevel}: the bytes the tokens' characters stand for, as one UTF-8 string (invalid bytes become
 *       U+FFFD);</li>
 *   <li>{@code Metaspace}: ▁ becomes " ", except in the first token when a ▁ was prepended on encoding;</li>
 *   <li>{@code Replace}: a pattern replaced in each token (Llama 2's ▁ to " ");</li>
 *   <li>{@code ByteFallback}: runs of {@code <0xXX>} tokens become the UTF-8 text of their bytes, or one U+FFFD per
 *       byte where the run is not valid UTF-8;</li>
 *   <li>{@code Fuse}: all tokens joined into one;</li>
 *   <li>{@code Strip}: up to {@code start} leading and {@code stop} trailing copies of a character removed from each
 *       token;</li>
 *   <li>{@code Sequence} of these.</li>
 * </ul>
 */
final class Decoders {
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");

    /** One decoding step. */
    interface Step {
        List<String> apply(List<String> tokens);
    }

    private Decoders() {
    }

    /** The decoder a tokenizer.json node describes; null for a JSON null. */
    static Step parse(JsonNode node, String where, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = JsonFields.type(node, where, path);
        return switch (type) {
            case "Sequence" -> {
                JsonNode list = JsonFields.array(node, "decoders", where, path);
                List<Step> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Step step = parse(list.get(i), where, path + ".decoders[" + i + "]");
                    if (step != null) {
                        steps.add(step);
                    }
                }
                yield tokens -> {
                    for (Step step : steps) {
                        tokens = step.apply(tokens);
                    }
                    return tokens;
                };
            }
            case "ByteLevel" -> tokens -> {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                for (String t : tokens) {
                    ByteLevelAlphabet.appendBytes(t, bytes);
                }
                return List.of(bytes.toString(StandardCharsets.UTF_8));
            };
            case "Metaspace" -> {
                String rep = Character.toString(JsonFields.character(node, "replacement", where, path));
                boolean addPrefixSpace = JsonFields.bool(node, "add_prefix_space", true, where, path);
                String scheme = JsonFields.text(node, "prepend_scheme", addPrefixSpace ? "always" : "never", where,
                        path);
                boolean dropFirst = !scheme.equals("never");
                yield tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        out.add(tokens.get(i).replace(rep, i == 0 && dropFirst ? "" : " "));
                    }
                    return out;
                };
            }
            case "Replace" -> {
                Pattern pattern = TextPattern.parse(node.get("pattern"), where, path + ".pattern");
                String content = Matcher.quoteReplacement(JsonFields.text(node, "content", null, where, path));
                yield tokens -> tokens.stream().map(t -> pattern.matcher(t).replaceAll(content)).toList();
            }
            case "ByteFallback" -> Decoders::byteFallback;
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> {
                int content = JsonFields.character(node, "content", where, path);
                int start = JsonFields.nonNegativeInt(node, "start", 0, where, path);
                int stop = JsonFields.nonNegativeInt(node, "stop", 0, where, path);
                yield tokens -> tokens.stream().map(t -> strip(t, content, start, stop)).toList();
            }
            default -> throw JsonFields.error(where, path + ".type", "is '" + type + "'; the decoders read here are "
                    + "ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip and Sequence");
        };
    }

    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        for (String t : tokens) {
            Matcher m = BYTE_TOKEN.matcher(t);
            if (t.length() == 6 && m.matches()) {
                run.write(Integer.parseInt(m.group(1), 16));
                continue;
            }
            flush(run, out);
            out.add(t);
        }
        flush(run, out);
        return out;
    }

    private static void flush(ByteArrayOutputStream run, List<String> out) {
        if (run.size() == 0) {
            return;
        }
        byte[] bytes = run.toByteArray();
        run.reset();
        try {
            out.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            for (int i = 0; i < bytes.length; i++) {
                out.add("\uFFFD");
            }
        }
    }

    /** {@code token} without up to {@code start} leading and {@code stop} trailing copies of {@code content}. */
    private static String strip(String token, int content, int start, int stop) {
        int[] cps = token.codePoints().toArray();
        int from = 0;
        while (from < start && from < cps.length && cps[from] == content) {
            from++;
        }
        int to = cps.length;
        while (cps.length - to < stop && to > from && cps[to - 1] == content) {
            to--;
        }
        return new String(cps, from, to - from);
    }
}
