package io.gleitzeit.domain;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds dependency cycles to report. Listing every elementary cycle can take exponential time, so this
 * reports, for each task on some cycle that no reported cycle contains yet, the shortest cycle through it.
 * Every task on a cycle is thus named at least once and no cycle is reported twice. The search stops after
 * {@code limit} cycles, which bounds the work an adversarial graph can cause.
 */
final class DependencyCycles {

    /**
     * @param cycles as node indexes following dependency edges, each starting at its earliest-defined node and
     *               not repeating it at the end; ordered by that first node
     * @param more   true when the search stopped at its limit with cycles left unreported
     */
    record Found(List<List<Integer>> cycles, boolean more) {}

    private DependencyCycles() {}

    /**
     * @param deps  for each node (by definition index), the indexes of its distinct dependencies; no self-loops
     * @param limit the most cycles to report
     */
    static Found find(List<List<Integer>> deps, int limit) {
        int n = deps.size();
        BitSet candidates = onCycleCandidates(deps);
        BitSet covered = new BitSet(n);
        Set<List<Integer>> seen = new HashSet<>();
        List<List<Integer>> cycles = new ArrayList<>();
        for (int s = candidates.nextSetBit(0); s >= 0; s = candidates.nextSetBit(s + 1)) {
            if (covered.get(s)) {
                continue;
            }
            List<Integer> cycle = shortestCycleThrough(s, deps, candidates);
            if (cycle == null) {
                continue;
            }
            cycle.forEach(covered::set);
            List<Integer> canonical = rotateToSmallest(cycle);
            if (seen.contains(canonical)) {
                continue;
            }
            if (cycles.size() == limit) {
                return new Found(sorted(cycles), true);
            }
            seen.add(canonical);
            cycles.add(canonical);
        }
        return new Found(sorted(cycles), false);
    }

    private static List<List<Integer>> sorted(List<List<Integer>> cycles) {
        cycles.sort((a, b) -> Integer.compare(a.get(0), b.get(0)));
        return List.copyOf(cycles);
    }

    /**
     * Prunes nodes that cannot be on a cycle: repeatedly drop nodes without remaining dependencies, then
     * nodes without remaining dependents. What is left contains every cycle.
     */
    private static BitSet onCycleCandidates(List<List<Integer>> deps) {
        int n = deps.size();
        List<List<Integer>> dependents = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            dependents.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            for (int d : deps.get(i)) {
                dependents.get(d).add(i);
            }
        }
        BitSet alive = new BitSet(n);
        alive.set(0, n);
        prune(alive, deps, dependents);
        prune(alive, dependents, deps);
        return alive;
    }

    /** Removes, transitively, alive nodes with no alive {@code out} neighbour. */
    private static void prune(BitSet alive, List<List<Integer>> out, List<List<Integer>> in) {
        int n = out.size();
        int[] remaining = new int[n];
        Deque<Integer> queue = new ArrayDeque<>();
        for (int i = alive.nextSetBit(0); i >= 0; i = alive.nextSetBit(i + 1)) {
            for (int o : out.get(i)) {
                if (alive.get(o)) {
                    remaining[i]++;
                }
            }
            if (remaining[i] == 0) {
                queue.add(i);
            }
        }
        while (!queue.isEmpty()) {
            int i = queue.poll();
            alive.clear(i);
            for (int j : in.get(i)) {
                if (alive.get(j) && --remaining[j] == 0) {
                    queue.add(j);
                }
            }
        }
    }

    private static List<Integer> shortestCycleThrough(int s, List<List<Integer>> deps, BitSet allowed) {
        int[] parent = new int[deps.size()];
        java.util.Arrays.fill(parent, -1);
        Deque<Integer> queue = new ArrayDeque<>();
        queue.add(s);
        parent[s] = s;
        while (!queue.isEmpty()) {
            int u = queue.poll();
            for (int v : deps.get(u)) {
                if (!allowed.get(v)) {
                    continue;
                }
                if (v == s) {
                    List<Integer> path = new ArrayList<>();
                    for (int x = u; x != s; x = parent[x]) {
                        path.add(x);
                    }
                    path.add(s);
                    Collections.reverse(path);
                    return path;
                }
                if (parent[v] < 0) {
                    parent[v] = u;
                    queue.add(v);
                }
            }
        }
        return null;
    }

    private static List<Integer> rotateToSmallest(List<Integer> cycle) {
        int min = 0;
        for (int i = 1; i < cycle.size(); i++) {
            if (cycle.get(i) < cycle.get(min)) {
                min = i;
            }
        }
        List<Integer> rotated = new ArrayList<>(cycle.subList(min, cycle.size()));
        rotated.addAll(cycle.subList(0, min));
        return List.copyOf(rotated);
    }
}
