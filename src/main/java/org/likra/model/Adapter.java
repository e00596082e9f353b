package org.likra.model;

import org.likra.engine.Engine;
import org.likra.engine.Tensor;

/**
 * A trainable addition to some of a {@link Transformer}'s linear layers, attached with
 * {@link Transformer#attach}: each adapted layer y = x W^T + b becomes y = x W^T + b + delta(x), and the backward
 * pass fills the adapter's gradient buffer instead of the model's (the base is frozen). LoRA's
 * ({@code org.likra.lora.LoraAdapter}) is the one implementation.
 */
public interface Adapter {
    /** The engine its tensors live on; it must be the model's. */
    Engine engine();

    /** Its gradient buffer, which {@link Transformer#backward} zeroes before the pass adds to it. */
    Tensor gradients();

    /**
     * out += delta(x) over the first n rows of the linear layer named {@code module} (e.g.
     * {@code model.layers.0.mlp.up_proj}); nothing when the adapter does not adapt that layer.
     */
    void forward(String module, Tensor out, Tensor x, int n);

    /** Whether it adapts the linear layer named {@code module}: whether {@link #forward} adds anything to it. */
    boolean adapts(String module);

    /**
     * After a forward pass of the same n rows: adds d(loss)/d(its parameters) of layer {@code module} to its
     * gradient buffer, given dOut = d(loss)/d(y), and (when dx is not null) its part of d(loss)/d(x) to dx; nothing
     * when the adapter does not adapt that layer.
     */
    void backward(String module, Tensor dx, Tensor dOut, Tensor x, int n);
}
