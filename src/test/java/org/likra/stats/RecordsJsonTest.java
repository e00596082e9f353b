package org.likra.stats;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RecordsJsonTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void intervalRoundTrip() throws Exception {
        Interval i = new Interval(0.6, 0.57, 0.63);
        String s = json.writeValueAsString(i);
        assertEquals("{\"estimate\":0.6,\"low\":0.57,\"high\":0.63}", s);
        assertEquals(i, json.readValue(s, Interval.class));
    }

    @Test
    void pairedTestAndMcNemarRoundTrip() throws Exception {
        PairedTest t = new PairedTest(0.05, 0.01, 0.09, 0.004);
        String s = json.writeValueAsString(t);
        assertEquals("{\"estimate\":0.05,\"low\":0.01,\"high\":0.09,\"p\":0.004}", s);
        assertEquals(t, json.readValue(s, PairedTest.class));
        McNemar.Result m = McNemar.fromCounts(1, 9);
        assertEquals(m, json.readValue(json.writeValueAsString(m), McNemar.Result.class));
    }
}
