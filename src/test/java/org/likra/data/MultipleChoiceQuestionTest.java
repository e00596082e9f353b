package org.likra.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultipleChoiceQuestionTest {
    @Test
    void accessors() {
        MultipleChoiceQuestion q = new MultipleChoiceQuestion("q", "Q?", List.of("a", "b", "c"), 2,
                List.of("near-miss", "far", "correct"), "s");
        assertEquals("c", q.correctChoice());
        assertEquals(List.of(0, 1), q.distractorIndices());
        assertEquals("far", q.tag(1));
        assertTrue(q.hasTags());
        assertEquals("t", q.withSubject("t").subject());
        MultipleChoiceQuestion plain = new MultipleChoiceQuestion("p", "Q?", List.of("a", "b"), 0);
        assertFalse(plain.hasTags());
        assertNull(plain.tag(0));
        assertNull(plain.subject());
    }

    @Test
    void listsAreCopied() {
        List<String> choices = new ArrayList<>(List.of("a", "b"));
        MultipleChoiceQuestion q = new MultipleChoiceQuestion("q", "Q?", choices, 0);
        choices.set(0, "z");
        assertEquals("a", q.correctChoice());
        assertThrows(UnsupportedOperationException.class, () -> q.choices().add("x"));
    }

    @Test
    void invalidQuestionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MultipleChoiceQuestion("q", "Q?", List.of("a", "b"), 2));
        assertThrows(IllegalArgumentException.class, () -> new MultipleChoiceQuestion("q", "Q?", List.of("a", "b"), -1));
        assertThrows(IllegalArgumentException.class, () -> new MultipleChoiceQuestion("q", "Q?", List.of("a"), 0));
        assertThrows(IllegalArgumentException.class, () -> new MultipleChoiceQuestion(" ", "Q?", List.of("a", "b"), 0));
        assertThrows(IllegalArgumentException.class, () -> new MultipleChoiceQuestion("q", "Q?", List.of("a", "b"), 0,
                List.of("correct"), null));
    }
}
