package org.likra.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The verdict on each of the paper's findings, per base size and overall, by fixed rules on the report's paired
 * tests (acc_norm; Holm-corrected p below {@link StudyReport#ALPHA}):
 * <ol>
 *   <li><b>jump</b> (Likra jumps early where SFT rises smoothly): Likra - SFT at the smallest N. Reproduced if
 *   significantly positive, contradicted if significantly negative, else undecided.</li>
 *   <li><b>negatives alone</b> (base-neg close to full Likra): at the largest N, reproduced if base-neg - base is
 *   significantly positive and the interval of Likra - base-neg lies within +-{@link StudyReport#CLOSE};
 *   contradicted if base-neg - base is significantly negative or Likra - base-neg is significantly above
 *   {@link StudyReport#CLOSE} (its interval's low end above it); else undecided.</li>
 *   <li><b>near-miss over far</b>: Likra with near-miss negatives - Likra with far negatives (tags, one per question)
 *   at the largest N: reproduced if significantly positive, contradicted if significantly negative.</li>
 *   <li><b>plausible wrong answers</b> (positive training leaves them likely; the negative head finds them): on the
 *   misconception questions, the share of predictions picking the misconception, Likra - SFT at the largest N:
 *   reproduced if significantly negative, contradicted if significantly positive.</li>
 *   <li><b>one negative worth k positives</b>: the median over N of k = N'/N where SFT at N' matches base-neg at N
 *   (a measurement, not a test: "measured" where defined, else undecided).</li>
 * </ol>
 * Overall: reproduced where some size reproduces it and none contradicts it, contradicted in the reverse case,
 * undecided otherwise ("undecided (sizes disagree)" when sizes disagree).
 */
final class StudyVerdicts {
    private StudyVerdicts() {
    }

    static ArrayNode of(ObjectNode report) {
        ArrayNode out = StudyPlan.JSON.createArrayNode();
        List<String> models = new ArrayList<>();
        report.get("sizes").forEach(s -> models.add(s.get("model").asText()));
        int smallest = report.get("ns").get(0).asInt();
        int largest = report.get("ns").get(report.get("ns").size() - 1).asInt();

        ObjectNode a = finding(out, "jump", "Likra jumps with few examples where SFT rises smoothly",
                "Likra - SFT, acc_norm, N = " + smallest);
        for (String m : models) {
            JsonNode t = find(report, "likra-sft", m, smallest);
            put(a, m, t, signOf(t, 1), t);
        }
        ObjectNode b = finding(out, "negatives-alone", "Negatives alone (base-neg) come close to full Likra",
                "base-neg - base > 0 and |Likra - base-neg| < " + StudyReport.CLOSE + ", acc_norm, N = " + largest);
        for (String m : models) {
            JsonNode gain = find(report, "base_neg-base", m, largest);
            JsonNode gap = find(report, "likra-base_neg", m, largest);
            String v = "undecided";
            if (gain != null && gap != null) {
                boolean gainUp = significant(gain) && gain.get("estimate").asDouble() > 0;
                boolean gainDown = significant(gain) && gain.get("estimate").asDouble() < 0;
                boolean close = gap.get("low").asDouble() > -StudyReport.CLOSE
                        && gap.get("high").asDouble() < StudyReport.CLOSE;
                boolean far = gap.get("low").asDouble() > StudyReport.CLOSE;
                v = gainUp && close ? "reproduced" : gainDown || far ? "contradicted" : "undecided";
            }
            put(b, m, gain, gain == null ? "not measured" : v, gap);
        }
        ObjectNode c = finding(out, "near-miss", "Near-miss negatives are worth more than far ones",
                "Likra(near-miss) - Likra(far), acc_norm, N = " + largest);
        for (String m : models) {
            JsonNode t = find(report, "near_miss-far", m, largest);
            put(c, m, t, signOf(t, 1), null);
        }
        ObjectNode d = finding(out, "plausible-wrong", "Positive training leaves plausible wrong answers likely; "
                + "the negative head finds them", "share of misconception picks, Likra - SFT, N = " + largest);
        for (String m : models) {
            JsonNode t = find(report, "misconception_picked:likra-sft", m, largest);
            put(d, m, t, signOf(t, -1), null);
        }
        ObjectNode e = finding(out, "worth", "One negative is worth about k positives",
                "median over N of N'/N, SFT(N') = base-neg(N)");
        for (JsonNode s : report.get("sizes")) {
            JsonNode w = s.get("oneNegativeWorth");
            ObjectNode per = (ObjectNode) e.get("perSize");
            ObjectNode n = per.putObject(s.get("model").asText());
            if (w != null && w.has("medianRatio")) {
                n.put("verdict", "measured").put("estimate", w.get("medianRatio").asDouble());
            } else {
                n.put("verdict", "undecided");
            }
        }
        for (JsonNode f : out) {
            ((ObjectNode) f).put("verdict", overall(f.get("perSize")));
        }
        return out;
    }

    private static ObjectNode finding(ArrayNode out, String key, String claim, String measure) {
        ObjectNode f = out.addObject();
        f.put("key", key).put("claim", claim).put("measure", measure);
        f.putObject("perSize");
        return f;
    }

    private static void put(ObjectNode finding, String model, JsonNode test, String verdict, JsonNode second) {
        ObjectNode n = ((ObjectNode) finding.get("perSize")).putObject(model);
        n.put("verdict", test == null ? "not measured" : verdict);
        if (test != null) {
            n.put("estimate", test.get("estimate").asDouble()).put("low", test.get("low").asDouble())
                    .put("high", test.get("high").asDouble()).put("p", test.get("p").asDouble())
                    .put("pHolm", test.get("pHolm").asDouble()).put("replicates", test.get("replicates").asInt());
        }
        if (second != null) {
            n.put("secondEstimate", second.get("estimate").asDouble()).put("secondLow", second.get("low").asDouble())
                    .put("secondHigh", second.get("high").asDouble());
        }
    }

    /** reproduced / contradicted / undecided by the sign the finding predicts ({@code +1} or {@code -1}). */
    private static String signOf(JsonNode t, int predicted) {
        if (t == null) {
            return "not measured";
        }
        if (!significant(t)) {
            return "undecided";
        }
        return Math.signum(t.get("estimate").asDouble()) == predicted ? "reproduced" : "contradicted";
    }

    static boolean significant(JsonNode t) {
        return t.get("pHolm").asDouble() < StudyReport.ALPHA;
    }

    static JsonNode find(ObjectNode report, String family, String model, int n) {
        for (JsonNode t : report.get("tests")) {
            if (t.get("family").asText().equals(family) && t.get("model").asText().equals(model)
                    && t.get("n").asInt() == n) {
                return t;
            }
        }
        return null;
    }

    private static String overall(JsonNode perSize) {
        boolean rep = false;
        boolean con = false;
        boolean measured = false;
        for (JsonNode s : perSize) {
            String v = s.get("verdict").asText();
            rep |= v.equals("reproduced");
            con |= v.equals("contradicted");
            measured |= v.equals("measured");
        }
        if (measured) {
            return "measured";
        }
        boolean anyMeasured = false;
        for (JsonNode s : perSize) {
            anyMeasured |= !s.get("verdict").asText().equals("not measured");
        }
        if (!anyMeasured) {
            return "not measured";
        }
        if (rep && !con) {
            return "reproduced";
        }
        if (con && !rep) {
            return "contradicted";
        }
        return rep ? "undecided (sizes disagree)" : "undecided";
    }
}
