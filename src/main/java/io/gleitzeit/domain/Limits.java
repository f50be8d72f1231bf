package io.gleitzeit.domain;

/**
 * Configurable limits on a definition (SPEC §1).
 *
 * @param maxTasks       most tasks in one workflow
 * @param maxParamsBytes most bytes of one task's params, measured as UTF-8 compact JSON
 */
public record Limits(int maxTasks, int maxParamsBytes) {

    public static final Limits DEFAULT = new Limits(10_000, 64 * 1024);

    public Limits {
        if (maxTasks < 1 || maxParamsBytes < 2) {
            throw new IllegalArgumentException("limits must allow at least one task with empty params: " + maxTasks
                    + ", " + maxParamsBytes);
        }
    }
}
