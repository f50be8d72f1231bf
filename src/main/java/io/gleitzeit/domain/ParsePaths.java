package io.gleitzeit.domain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import java.util.ArrayDeque;
import java.util.Deque;

/** The field path ({@link FieldPaths}) of where a parser is, for a problem found while a body is read. */
final class ParsePaths {

    private ParsePaths() {}

    /** The path of the value {@code token} that {@code p} has just read: {@code tasks[0].params.x}; "$" at the top. */
    static String of(JsonParser p, JsonToken token) {
        JsonStreamContext context = p.getParsingContext();
        boolean opensContainer = token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY;
        return of(opensContainer ? context.getParent() : context);
    }

    /** The path of the current key of an object context, or the current element of an array context. */
    static String of(JsonStreamContext context) {
        Deque<JsonStreamContext> fromTheTop = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            fromTheTop.push(c);
        }
        String path = "";
        for (JsonStreamContext c : fromTheTop) {
            if (c.inArray()) {
                path = FieldPaths.index(path, c.getCurrentIndex());
            } else if (c.getCurrentName() != null) {
                path = FieldPaths.key(path, c.getCurrentName());
            } else {
                break;
            }
        }
        return path.isEmpty() ? "$" : path;
    }
}
