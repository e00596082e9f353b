package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/** The report as Markdown: the verdict table, then per size the base models and the curves' table. */
final class StudyMarkdown {
    private StudyMarkdown() {
    }

    static String of(ObjectNode r) {
        StringBuilder s = new StringBuilder();
        header(s, r);
        verdicts(s, r);
        for (JsonNode size : r.get("sizes")) {
            s.append("\n## ").append(size.get("model").asText()).append("\n\n");
            bases(s, size);
            curves(s, size.get("curves"));
        }
        tests(s, r);
        return s.toString();
    }

    /** The title, the description, what the figures are, and the compute recorded. */
    private static void header(StringBuilder s, ObjectNode r) {
        s.append("# Study ").append(r.get("study").asText()).append("\n\n");
        if (!r.get("description").asText().isEmpty()) {
            s.append(r.get("description").asText()).append("\n\n");
        }
        s.append(String.format(Locale.ROOT, "%d test questions about %d entities (%d with a misconception "
                        + "choice); chance %.3f, type-only %.3f; head seeds %s; %d bootstrap resamples. acc_norm; "
                        + "intervals are 95%% hierarchical bootstrap (base seeds, head seeds, entity clusters); p "
                        + "values are Holm-corrected within each family of tests.%n%n",
                r.get("testQuestions").asInt(), r.get("testEntities").asInt(),
                r.get("misconceptionQuestions").asInt(), r.get("chance").asDouble(), r.get("typeOnly").asDouble(),
                r.get("headSeeds"), r.get("bootstrapResamples").asInt()));
        JsonNode compute = r.path("compute");
        if (compute.path("runs").asInt() > 0) {
            s.append(String.format(Locale.ROOT, "Compute recorded: %d cells in %d runs, %.2f h wall, %.2f h of CPU "
                            + "time (%.2f h on 2 cores).%n%n", compute.get("cellsFinished").asInt(),
                    compute.get("runs").asInt(), compute.get("wallSeconds").asDouble() / 3600,
                    compute.get("cpuSeconds").asDouble() / 3600, compute.get("cpuSeconds").asDouble() / 7200));
        }
    }

    /** One row per finding: its verdict, and per size the estimate, its interval and the Holm p. */
    private static void verdicts(StringBuilder s, ObjectNode r) {
        s.append("## Verdicts\n\n| finding | measure | verdict | per size: estimate [95% CI], Holm p |\n"
                + "| --- | --- | --- | --- |\n");
        for (JsonNode f : r.get("verdicts")) {
            StringBuilder per = new StringBuilder();
            f.get("perSize").fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                per.append(per.isEmpty() ? "" : "; ").append(e.getKey()).append(": ").append(v.get("verdict")
                        .asText());
                if (v.has("low")) {
                    per.append(String.format(Locale.ROOT, " %+.3f [%+.3f, %+.3f], p=%.3g", v.get("estimate")
                            .asDouble(), v.get("low").asDouble(), v.get("high").asDouble(), v.get("pHolm")
                            .asDouble()));
                } else if (v.has("estimate")) {
                    per.append(String.format(Locale.ROOT, " %.3g", v.get("estimate").asDouble()));
                }
            });
            s.append("| ").append(cell(f.get("claim").asText())).append(" | ")
                    .append(cell(f.get("measure").asText()))
                    .append(" | **").append(f.get("verdict").asText()).append("** | ").append(per).append(" |\n");
        }
    }

    /** One size's base models: parameters, the kept model, the last held-out losses, time, accuracy at N = 0. */
    private static void bases(StringBuilder s, JsonNode size) {
        s.append("| base model | parameters | kept: step, held-out loss, validation acc_norm | held-out loss, "
                + "last evaluations | pretraining s | test acc_norm at N=0 | test acc at N=0 |\n"
                + "| --- | --- | --- | --- | --- | --- | --- |\n");
        for (JsonNode b : size.get("bases")) {
            JsonNode h = b.get("heldOutLoss");
            StringBuilder loss = new StringBuilder();
            for (int i = Math.max(0, h.size() - 3); i < h.size(); i++) {
                loss.append(loss.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.4f (step %d)",
                        h.get(i).get(1).asDouble(), h.get(i).get(0).asInt()));
            }
            s.append(String.format(Locale.ROOT, "| %s | %,d | %d%s, %.4f, %.3f | %s | %.0f | %.3f | %.3f |%n",
                    b.get("id").asText(), b.get("parameters").asLong(), b.path("bestStep").asInt(),
                    b.path("stoppedEarly").asBoolean() ? " (stopped early)" : "",
                    b.path("bestHeldOutLoss").asDouble(), b.path("bestValidationAccNorm").asDouble(),
                    loss, b.get("pretrainSeconds").asDouble(),
                    b.get("testAccNormN0").asDouble(), b.get("testAccN0").asDouble()));
        }
    }

    /** One size's curves: per N each scorer's acc_norm, its interval and the number of replicates. */
    private static void curves(StringBuilder s, JsonNode curves) {
        s.append("\nacc_norm [95% CI] (replicates)\n\n| N |");
        String[] cols = {"base", "sft", "likra", "base-neg", "pos-base", "dpo", "dpo-reward"};
        StringBuilder sep = new StringBuilder("| --- |");
        for (String c : cols) {
            if (curves.has(c)) {
                s.append(' ').append(c).append(" |");
                sep.append(" --- |");
            }
        }
        s.append('\n').append(sep).append('\n');
        for (JsonNode p : curves.get("base")) {
            int n = p.get("n").asInt();
            s.append("| ").append(n).append(" |");
            for (String c : cols) {
                if (!curves.has(c)) {
                    continue;
                }
                JsonNode pt = null;
                for (JsonNode q : curves.get(c)) {
                    if (q.get("n").asInt() == n) {
                        pt = q;
                    }
                }
                if (pt == null || !pt.has("acc_norm")) {
                    s.append(" – |");
                } else {
                    JsonNode a = pt.get("acc_norm");
                    s.append(String.format(Locale.ROOT, " %.3f [%.3f, %.3f] (%d) |", a.get("estimate").asDouble(),
                            a.get("low").asDouble(), a.get("high").asDouble(), pt.get("replicates").asInt()));
                }
            }
            s.append('\n');
        }
    }

    /** The paired tests: family, size, N, difference with its interval, p and Holm p. */
    private static void tests(StringBuilder s, ObjectNode r) {
        s.append("\n## Paired tests\n\n| family | model | N | difference [95% CI] | p | Holm p |\n"
                + "| --- | --- | --- | --- | --- | --- |\n");
        for (JsonNode t : r.get("tests")) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %d | %+.3f [%+.3f, %+.3f] | %.3g | %.3g |%n",
                    t.get("family").asText(), t.get("model").asText(), t.get("n").asInt(),
                    t.get("estimate").asDouble(), t.get("low").asDouble(), t.get("high").asDouble(),
                    t.get("p").asDouble(), t.get("pHolm").asDouble()));
        }
    }

    /** Text for a Markdown table cell: a '|' in it would end the cell, so it is escaped. */
    static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
