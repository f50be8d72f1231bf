package io.gleitzeit.domain;

/** The syntax of a submitted definition; both carry the one schema of SPEC §1. */
public enum SourceFormat { JSON, YAML }
