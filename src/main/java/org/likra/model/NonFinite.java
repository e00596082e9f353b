package org.likra.model;

/**
 * The first NaN or infinite value of a named tensor: where it is and how many such values the tensor holds. A model
 * with one cannot be trained on or scored with (every output it touches becomes NaN).
 *
 * @param tensor the tensor's name
 * @param index  the element's index within the tensor
 * @param value  the value (NaN or ±Infinity)
 * @param count  how many of the tensor's elements are NaN or infinite
 */
public record NonFinite(String tensor, int index, float value, int count) {

    /** The first non-finite value of {@code values[offset, offset + length)}, as tensor {@code name}; or null. */
    public static NonFinite find(String name, float[] values, int offset, int length) {
        int first = -1;
        int count = 0;
        for (int i = 0; i < length; i++) {
            if (!Float.isFinite(values[offset + i])) {
                first = first < 0 ? i : first;
                count++;
            }
        }
        return first < 0 ? null : new NonFinite(name, first, values[offset + first], count);
    }

    /** The first tensor of {@code layout} (in layout order) with a non-finite value in {@code values}; or null. */
    public static NonFinite find(ParameterLayout layout, float[] values) {
        for (ParameterSpec spec : layout.specs()) {
            NonFinite bad = find(spec.name(), values, spec.offset(), spec.size());
            if (bad != null) {
                return bad;
            }
        }
        return null;
    }

    /** "tensor X holds NaN (element 3; 12 of its values are not finite)". */
    public String describe() {
        return "tensor " + tensor + " holds " + value + " (element " + index + "; " + count + " of its values "
                + (count == 1 ? "is" : "are") + " not finite)";
    }
}
