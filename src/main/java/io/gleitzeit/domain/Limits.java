package io.gleitzeit.domain;

/**
 * Configurable limits on a definition (SPEC §1).
 *
 * @param maxTasks       most tasks in one workflow
 * @param maxParamsBytes most bytes of one task's params, measured as UTF-8 compact JSON
 */
public record Limits(int maxTasks, int maxParamsBytes) {

    public static final Limits DEFAULT = new Limits(10_000, 64 * 1024);

    /**
     * How deep a task's params, a workflow's metadata and a task's result may nest (objects and arrays). Events,
     * envelopes and answers wrap them in a few more levels, and JSON is read and written here at most 1,000 deep
     * (Jackson's limit): without a lower limit for what users send, a value nested just under 1,000 was accepted and
     * then could not be written to the journal, or read back by the event index, which stopped for good.
     */
    public static final int MAX_NESTING = 200;

    public Limits {
        if (maxTasks < 1 || maxParamsBytes < 2) {
            throw new IllegalArgumentException("limits must allow at least one task with empty params: " + maxTasks
                    + ", " + maxParamsBytes);
        }
    }
}
