package org.likra.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * One pass over items grouped by question, in batches: a batch is full at {@code batchSize} items, and at each
 * checkpoint (a number of questions seen) the partial batch is flushed before the checkpoint is reported, so that
 * a snapshot taken there has seen exactly the items of the first N questions.
 */
final class OnePass {
    private OnePass() {
    }

    static <T> void run(List<List<T>> perQuestion, int batchSize, int[] checkpoints, Consumer<List<T>> update,
                        IntConsumer atCheckpoint) {
        List<T> pending = new ArrayList<>();
        int nextCheckpoint = 0;
        for (int q = 0; q < perQuestion.size(); q++) {
            for (T item : perQuestion.get(q)) {
                pending.add(item);
                if (pending.size() == batchSize) {
                    update.accept(List.copyOf(pending));
                    pending.clear();
                }
            }
            if (nextCheckpoint < checkpoints.length && q + 1 == checkpoints[nextCheckpoint]) {
                if (!pending.isEmpty()) {
                    update.accept(List.copyOf(pending));
                    pending.clear();
                }
                atCheckpoint.accept(q + 1);
                nextCheckpoint++;
            }
        }
        if (!pending.isEmpty()) {
            update.accept(List.copyOf(pending));
        }
    }
}
