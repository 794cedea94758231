package dev.warden.policy.compile;

import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Query parameters as the JSON-like values {@link BodyReader} reads into a record of the route's
 * query schema: for each declared parameter that was sent, its one value (a list's values), as
 * text converted by the declared type, `int` to a Long, `decimal` to a BigDecimal, `bool` to a
 * Boolean, the rest as text (BodyReader parses `time` and `ip`). A value that does not convert
 * stays text, so that BodyReader reports the mismatch.
 */
final class QueryValues {
  private QueryValues() {}

  static Map<String, Object> typed(Map<String, List<String>> query, Type record) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Type> e : ((Type.RecordType) record).fields().entrySet()) {
      List<String> values = query.get(e.getKey());
      if (values == null || values.isEmpty()) {
        continue;
      }
      Type t = Type.unwrap(e.getValue());
      if (t instanceof Type.ListType l) {
        List<Object> items = new ArrayList<>(values.size());
        values.forEach(v -> items.add(convert(v, Type.unwrap(l.element()))));
        out.put(e.getKey(), items);
      } else {
        out.put(e.getKey(), convert(values.get(0), t));
      }
    }
    return out;
  }

  private static Object convert(String text, Type t) {
    try {
      if (t == Type.INT) {
        return Long.parseLong(text);
      }
      if (t == Type.DECIMAL) {
        return new BigDecimal(text);
      }
    } catch (NumberFormatException e) {
      return text;
    }
    if (t == Type.BOOL && (text.equals("true") || text.equals("false"))) {
      return Boolean.valueOf(text);
    }
    return text;
  }
}
