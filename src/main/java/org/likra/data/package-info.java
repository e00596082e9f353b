/**
 * Multiple-choice question sets: the {@link org.likra.data.MultipleChoiceQuestion} record, readers for ARC
 * (AI2 JSONL), MMLU (headerless CSV) and likra's own JSONL, a writer for the latter, and
 * {@link org.likra.data.QuestionSets} to load any of them and to shuffle, cut and split deterministically.
 * Input errors are {@link org.likra.util.UserError}s naming the file and line.
 */
package org.likra.data;
