package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * YAML read into a tree with its anchors and aliases resolved. Jackson's YAML reader hands an alias ({@code *v})
 * over as the string {@code "v"}, and loses the anchor of a scalar: a definition that reused a value through an
 * anchor ran with the anchor's name in its place. A document with aliases is composed by SnakeYAML (which
 * resolves each alias to the node its anchor marked), copied so that no node is shared, written out again without
 * anchors, and read by the same mapper as any other: numbers, strings and the duplicate-key check stay as they are.
 * The merge key {@code <<} (YAML 1.1, {@code <<: *defaults} or an inline mapping) is applied on the way. A document
 * with neither is read as before.
 */
final class YamlAliases {

  /**
   * The most nodes a document may have once its aliases are expanded: aliases of aliases grow a document
   * exponentially (the "billion laughs"); a 1 MiB definition has far fewer nodes than this.
   */
  static final int MAX_NODES = 1_000_000;

  /** As deep as Jackson lets any document nest (its default {@code maxNestingDepth}). */
  static final int MAX_DEPTH = 1000;

  /**
   * The most characters a document may have once its aliases are expanded: a few values may be reused many times
   * (80 aliases of a 40 KB prompt), but a large value reused a million times would fill the heap.
   */
  static final int MAX_CHARS = 16 * 1024 * 1024;

  private YamlAliases() {}

  /** The document as a tree, aliases resolved; null for an empty document. */
  static JsonNode readTree(byte[] body) throws IOException {
    if (!needsComposing(body)) {
      return Json.YAML.readTree(body);
    }
    Node root = new Yaml(loaderOptions()).compose(
        new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
    if (root == null) {
      return null;
    }
    DumperOptions options = new DumperOptions();
    options.setWidth(Integer.MAX_VALUE);
    options.setAllowUnicode(true);
    StringWriter text = new BoundedWriter();
    try {
      new Yaml(options).serialize(unshared(root, new int[] {MAX_NODES}), text);
    } catch (AliasesTooLarge e) {
      throw new IOException(e.getMessage());
    }
    return Json.YAML.readTree(text.toString());
  }

  /**
   * SnakeYAML's own limits off where this class has its own: its 50 aliases of collections per document refused a
   * definition whose 51 tasks share one {@code params: *common}, and its 50 levels of nesting are less than
   * Jackson's. What an alias may cost is bounded by {@link #MAX_NODES} and {@link #MAX_DEPTH} instead; the body's
   * size by the HTTP limit.
   */
  private static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(Integer.MAX_VALUE);
    options.setNestingDepthLimit(MAX_DEPTH + 1);
    options.setCodePointLimit(Integer.MAX_VALUE);
    return options;
  }

  /** Stops a document whose expanded text outgrows {@link #MAX_CHARS} as it is written. */
  private static final class BoundedWriter extends StringWriter {
    @Override
    public void write(String str) {
      check(str.length());
      super.write(str);
    }

    @Override
    public StringWriter append(CharSequence csq) {
      check(csq == null ? 4 : csq.length());
      return super.append(csq);
    }

    @Override
    public void write(String str, int off, int len) {
      check(len);
      super.write(str, off, len);
    }

    @Override
    public void write(char[] cbuf, int off, int len) {
      check(len);
      super.write(cbuf, off, len);
    }

    @Override
    public void write(int c) {
      check(1);
      super.write(c);
    }

    private void check(int more) {
      if (getBuffer().length() + (long) more > MAX_CHARS) {
        throw new AliasesTooLarge();
      }
    }
  }

  /** Unchecked, to pass through SnakeYAML's serializer; {@link #readTree} turns it into an IOException. */
  private static final class AliasesTooLarge extends RuntimeException {
    AliasesTooLarge() {
      super("the document's aliases expand it beyond " + MAX_CHARS + " characters", null, false, false);
    }
  }

  /** A copy of {@code node} in which every alias is a copy of its own: written out, it needs no anchor. */
  private static Node unshared(Node node, int[] budget) throws IOException {
    return unshared(node, budget, new IdentityHashMap<>(), 0);
  }

  private static Node unshared(Node node, int[] budget, Map<Node, Boolean> enclosing, int depth)
      throws IOException {
    if (--budget[0] < 0) {
      throw new IOException("the document's aliases expand it beyond " + MAX_NODES + " values");
    }
    if (depth > MAX_DEPTH) {
      throw new IOException("the document nests deeper than " + MAX_DEPTH + " levels");
    }
    if (enclosing.put(node, Boolean.TRUE) != null) {
      throw new IOException("an alias refers to a value that contains it");
    }
    try {
      return copied(node, budget, enclosing, depth);
    } finally {
      enclosing.remove(node);
    }
  }

  private static Node copied(Node node, int[] budget, Map<Node, Boolean> enclosing, int depth)
      throws IOException {
    if (node instanceof ScalarNode scalar) {
      // A null written as nothing ({k: }) would be written out again quoted, and read back as "".
      return Tag.NULL.equals(scalar.getTag())
          ? new ScalarNode(Tag.NULL, "null", null, null, DumperOptions.ScalarStyle.PLAIN)
          : new ScalarNode(scalar.getTag(), scalar.getValue(), null, null, scalar.getScalarStyle());
    }
    if (node instanceof SequenceNode sequence) {
      List<Node> items = new ArrayList<>(sequence.getValue().size());
      for (Node item : sequence.getValue()) {
        items.add(unshared(item, budget, enclosing, depth + 1));
      }
      return new SequenceNode(sequence.getTag(), items, sequence.getFlowStyle());
    }
    MappingNode mapping = (MappingNode) node;
    List<NodeTuple> own = new ArrayList<>();
    List<NodeTuple> merged = new ArrayList<>();
    for (NodeTuple entry : mapping.getValue()) {
      Node value = unshared(entry.getValueNode(), budget, enclosing, depth + 1);
      if (Tag.MERGE.equals(entry.getKeyNode().getTag())) {
        // "<<: *defaults" (or a list of them): their entries, the first source winning over later ones.
        for (Node source : value instanceof SequenceNode list ? list.getValue() : List.of(value)) {
          if (!(source instanceof MappingNode sourceMapping)) {
            throw new IOException("a merge key (<<) takes a mapping or a list of mappings");
          }
          merged.addAll(sourceMapping.getValue());
        }
      } else {
        own.add(new NodeTuple(unshared(entry.getKeyNode(), budget, enclosing, depth + 1), value));
      }
    }
    // The mapping's own keys win over merged ones; merged entries come first, as SnakeYAML orders them.
    Set<String> taken = new HashSet<>();
    own.forEach(entry -> taken.add(keyOf(entry)));
    List<NodeTuple> entries = new ArrayList<>();
    for (NodeTuple entry : merged) {
      if (taken.add(keyOf(entry))) {
        entries.add(entry);
      }
    }
    entries.addAll(own);
    return new MappingNode(mapping.getTag(), entries, mapping.getFlowStyle());
  }

  private static String keyOf(NodeTuple entry) {
    return entry.getKeyNode() instanceof ScalarNode key ? key.getValue() : String.valueOf(entry.getKeyNode());
  }

  /** Whether the document has an alias or a merge key ({@code <<}), which Jackson would read as plain values. */
  private static boolean needsComposing(byte[] body) {
    try (YAMLParser parser = (YAMLParser) Json.YAML.getFactory().createParser(body)) {
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        if (parser.isCurrentAlias() || (token == JsonToken.FIELD_NAME && "<<".equals(parser.currentName()))) {
          return true;
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false; // bad YAML: the tree reader reports it, with its position
    }
  }
}
