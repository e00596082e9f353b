package org.likra.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * curve.json's {@code settings} keep the flat form docs/likra.md states (every field under its name, the negatives'
 * three beside the others), whatever records hold them in the code.
 */
class CurveSettingsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void settingsAreWrittenAsOneFlatObject() {
        CurveSettings s = CurveSettings.DEFAULTS.withMaxTrain(40)
                .withNegatives(new NegativeSelection(NegativeStrategy.NEAR_MISS, 2, 0.25)).withDpo(null)
                .withWeights(1, 0.5).withSeed(7);
        JsonNode n = JSON.valueToTree(s);
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("maxTrain", "negatives", "negativesPerQuestion", "contamination", "heads", "dpo",
                "positiveWeight", "negativeWeight", "seed"), names);
        assertEquals(40, n.get("maxTrain").asInt());
        assertEquals("NEAR_MISS", n.get("negatives").asText());
        assertEquals(2, n.get("negativesPerQuestion").asInt());
        assertEquals(0.25, n.get("contamination").asDouble());
        assertEquals(JSON.valueToTree(HeadRecipe.DEFAULT), n.get("heads"));
        assertTrue(n.get("dpo").isNull());
        assertEquals(1.0, n.get("positiveWeight").asDouble());
        assertEquals(0.5, n.get("negativeWeight").asDouble());
        assertEquals(7, n.get("seed").asLong());
    }
}
