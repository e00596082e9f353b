package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * What one study cell produced: summed answer log-likelihoods of every choice of a question set, under one model
 * state each. For the base model the keys are the sets ({@code test}, {@code validation}, {@code train}); for a
 * head they are the N it was trained on ({@code "32"}, ...) and the values are test-set scores. Every scorer, weight
 * and statistic of the report is computed from these files, so a report can be redone without training anything.
 * Stored as gzipped JSON, written atomically.
 *
 * @param kind      {@code base}, {@code positive}, {@code negative} or {@code dpo}
 * @param name      the arm or DPO baseline ({@code main} for the main negative arm, the kind otherwise)
 * @param info      what produced it (base id, head seed, recipe, timings)
 * @param questions question ids per key's set, in score order
 * @param scores    per key: one array of choice log-likelihoods per question
 */
public record CellScores(String kind, String name, ObjectNode info, Map<String, List<String>> questions,
                         Map<String, List<double[]>> scores) {

    public void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFiles.write(file, raw -> {
            GZIPOutputStream out = new GZIPOutputStream(raw);
            StudyPlan.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET).writeValue(out, this);
            out.finish();
        });
    }

    public static CellScores read(Path file) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            JsonNode n = StudyPlan.JSON.readTree(in);
            Map<String, List<String>> questions = new LinkedHashMap<>();
            n.get("questions").fields().forEachRemaining(e -> {
                List<String> ids = new ArrayList<>();
                e.getValue().forEach(v -> ids.add(v.asText()));
                questions.put(e.getKey(), ids);
            });
            Map<String, List<double[]>> scores = new LinkedHashMap<>();
            n.get("scores").fields().forEachRemaining(e -> {
                List<double[]> rows = new ArrayList<>();
                for (JsonNode row : e.getValue()) {
                    double[] r = new double[row.size()];
                    for (int i = 0; i < r.length; i++) {
                        r[i] = row.get(i).asDouble();
                    }
                    rows.add(r);
                }
                scores.put(e.getKey(), rows);
            });
            return new CellScores(n.get("kind").asText(), n.get("name").asText(), (ObjectNode) n.get("info"),
                    questions, scores);
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": cannot read the cell's scores (" + e.getMessage() + "); delete the file "
                    + "and run the study again to recompute it");
        }
    }
}
