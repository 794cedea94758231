package dev.warden.policy.schema.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.warden.policy.runtime.RequestBody;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * A parsed body (`RequestBody.Parsed` values: Map, List, String, Long, BigDecimal, Boolean,
 * null) as the Jackson tree the validator reads. Numbers stay exact (a decimal is never a
 * double). Nesting deeper than {@link RequestBody#MAX_DEPTH} containers is refused with
 * {@link TooDeep} rather than recursed into, so no caller can overflow the stack through here.
 */
final class JsonValues {
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  /** The most digits an integral number is read as an integer with. */
  static final int MAX_INTEGER_DIGITS = 1000;

  private JsonValues() {}

  /** The body nests deeper than the parser allows. */
  static final class TooDeep extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooDeep() {
      super("the body nests deeper than " + RequestBody.MAX_DEPTH, null, false, false);
    }
  }

  static JsonNode toNode(Object value) {
    return toNode(value, 0);
  }

  /**
   * An integral decimal (`1.0`, `1e3`, 30 digits) as an integer node: the validator compares
   * integer-valued decimal nodes as longs, which overflows; a big integer node compares exactly.
   * Beyond {@link #MAX_INTEGER_DIGITS} digits it stays a decimal (no 1e999999999-digit integers).
   */
  private static JsonNode decimal(BigDecimal d) {
    if (d.signum() == 0) {
      return NODES.numberNode(0L);
    }
    BigDecimal stripped = d.stripTrailingZeros();
    if (stripped.scale() <= 0 && stripped.precision() - stripped.scale() <= MAX_INTEGER_DIGITS) {
      return NODES.numberNode(stripped.toBigIntegerExact());
    }
    return NODES.numberNode(d);
  }

  private static JsonNode toNode(Object value, int depth) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (value instanceof String s) {
      return NODES.textNode(s);
    }
    if (value instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return NODES.numberNode(((Number) value).longValue());
    }
    if (value instanceof BigDecimal d) {
      return decimal(d);
    }
    if (value instanceof BigInteger i) {
      return NODES.numberNode(i);
    }
    if (value instanceof Map<?, ?> map) {
      if (depth >= RequestBody.MAX_DEPTH) {
        throw new TooDeep();
      }
      ObjectNode out = NODES.objectNode();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.set(String.valueOf(e.getKey()), toNode(e.getValue(), depth + 1));
      }
      return out;
    }
    if (value instanceof List<?> list) {
      if (depth >= RequestBody.MAX_DEPTH) {
        throw new TooDeep();
      }
      ArrayNode out = NODES.arrayNode(list.size());
      for (Object item : list) {
        out.add(toNode(item, depth + 1));
      }
      return out;
    }
    throw new IllegalArgumentException("a parsed JSON body holds Map, List, String, Long, BigDecimal, Boolean or"
        + " null, not " + value.getClass().getName() + " (use RequestBody.json())");
  }
}
