package org.prune4j.api.compress;

import java.nio.file.Path;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * The dense model every candidate is cut from and distilled against: its folder, config, mapped tensors (the
 * writer's source), the loaded model (the KD teacher), the kernels students run on and its fingerprint.
 */
public record Teacher(Path dir, ModelConfig config, TensorSource source, LlamaModel model, Kernels kernels, String fingerprint) {}
