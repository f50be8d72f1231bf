package io.gleitzeit.domain;

import static io.gleitzeit.domain.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.FloatNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class JsonTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            { "x" : 1 }                          | {"x":1}
            {"b": 2, "a": 1}                     | {"b":2,"a":1}
            [1.0, 2.50, -0.0, 1e3, 1.5e-3]       | [1,2.5,0,1000,0.0015]
            {"s": "a \\"q\\" é\\n", "n": null}   | {"s":"a \\"q\\" é\\n","n":null}
            [true, false, [], {}]                | [true,false,[],{}]
            12345678901234567890                 | 12345678901234567890
            "text"                               | "text"
            """)
    void shouldWriteCompactJsonWithWholeNumbersAsIntegers(String input, String expected) {
        assertEquals(expected, Json.compact(json(input)));
    }

    static Stream<Arguments> numberNodes() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return Stream.of(
                Arguments.of(DoubleNode.valueOf(1.0), "1"),
                Arguments.of(DoubleNode.valueOf(1e20), "100000000000000000000"),
                Arguments.of(DoubleNode.valueOf(0.1), "0.1"),
                Arguments.of(FloatNode.valueOf(2.0f), "2"),
                Arguments.of(DecimalNode.valueOf(new BigDecimal("3.000")), "3"),
                Arguments.of(DecimalNode.valueOf(new BigDecimal("3.140")), "3.14"),
                Arguments.of(LongNode.valueOf(Long.MAX_VALUE), "9223372036854775807"),
                Arguments.of(f.numberNode(new java.math.BigInteger("123456789012345678901234567890")),
                        "123456789012345678901234567890"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("numberNodes")
    void shouldWriteEveryKindOfNumber(JsonNode number, String expected) {
        assertEquals(expected, Json.compact(number));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            "plain"             | plain
            "with \\"quotes\\"" | with "quotes"
            ""                  | ``
            1.0                 | 1
            null                | null
            {"x": 1.0}          | {"x":1}
            [1, "a"]            | [1,"a"]
            true                | true
            """)
    void shouldRenderTextAsItselfAndAnythingElseAsCompactJson(String input, String expected) {
        assertEquals(expected, Json.text(json(input)));
    }

    @Test
    void shouldRenderJavaNullAsJsonNull() {
        assertEquals("null", Json.text(null));
        assertEquals("null", Json.compact(NullNode.getInstance()));
        assertEquals("x", Json.text(TextNode.valueOf("x")));
    }

    @Test
    void shouldRejectDuplicateKeysAndTrailingContentInBothMappers() {
        assertThrows(JsonProcessingException.class, () -> Json.MAPPER.readTree("{\"a\":1,\"a\":2}"));
        assertThrows(JsonProcessingException.class, () -> Json.MAPPER.readTree("{} {}"));
        assertThrows(JsonProcessingException.class, () -> Json.YAML.readTree("a: 1\na: 2\n"));
        assertThrows(JsonProcessingException.class, () -> Json.YAML.readTree("a: 1\n---\nb: 2\n"));
    }
}
