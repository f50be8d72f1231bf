/**
 * The command line of SPEC §8 (picocli): {@code server} and {@code demo} run a node in this process; the
 * other commands are HTTP clients of a running node at {@code GLEITZEIT_URL}.
 */
package io.gleitzeit.cli;
