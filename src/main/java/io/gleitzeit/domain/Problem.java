package io.gleitzeit.domain;

/**
 * One thing wrong with a submitted definition.
 *
 * @param path    where: {@code "tasks[1].dependencies[0]"}, {@code "tasks[0].params.prompt"},
 *                {@code "error_strategy"}; {@code "$"} for the document as a whole
 * @param message what is wrong and what is expected instead
 */
public record Problem(String path, String message) {}
