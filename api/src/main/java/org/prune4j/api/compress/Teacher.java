package org.prune4j.api.compress;

import java.nio.file.Path;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * The dense model every candidate is cut from and distilled against: its folder, config, mapped tensors (the
 * writer's source), the loaded model (the KD teacher), the kernels students run on and its fingerprint. Loaded once per
 * run and shared by every {@link CandidateStep}.
 *
 * @param dir the dense model folder (the students' tokenizer files are copied from it)
 * @param config the dense model's config
 * @param source the dense model's mapped tensors, which the structured writer cuts each student from
 * @param model the dense model loaded, the teacher of every distillation and the model the scores are taken on
 * @param kernels the kernels the students are loaded with
 * @param fingerprint the dense model's fingerprint, which plans and the dense scores' key carry
 */
public record Teacher(Path dir, ModelConfig config, TensorSource source, LlamaModel model, Kernels kernels, String fingerprint) {}
