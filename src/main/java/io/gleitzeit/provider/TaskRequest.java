package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One attempt as an executor sees it: resolved parameters, and the timeout the workflow enforces. */
public record TaskRequest(TaskKey key, String method, ObjectNode params, Long timeoutMs) {}
