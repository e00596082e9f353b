package org.likra.tokenize;

import java.util.LinkedHashMap;
import java.util.Map;

/** Test files for other packages' tests. */
public final class Llama2cTokenizerTestAccess {
    private Llama2cTokenizerTestAccess() {
    }

    /** A valid llama2.c tokenizer file with 259 + {@code extra} tokens. */
    public static byte[] file(int extra) {
        Map<String, Float> pieces = new LinkedHashMap<>();
        for (int i = 0; i < extra; i++) {
            pieces.put(i == 0 ? " " : "w" + i, (float) -i);
        }
        return Llama2cTokenizerTest.tokenizerFile(pieces);
    }
}
