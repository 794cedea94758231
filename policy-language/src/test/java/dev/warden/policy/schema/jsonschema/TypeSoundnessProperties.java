package dev.warden.policy.schema.jsonschema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The derived type is sound: every body the schema accepts reads as a value of `type()` under
 * the rules `compile.BodyReader` applies (a present field of the declared type, an optional one
 * absent or null, integers as Long or integral BigDecimal, time by Instant.parse, ip by
 * IpAddress.parse), so a policy never sees a valid body as absent.
 */
class TypeSoundnessProperties {
  private static final JsonSchemaBody BODY = Schemas.inline("""
      {"type": "object", "required": ["id", "qty"],
       "properties": {
         "id": {"type": "string", "format": "uuid"},
         "qty": {"type": "integer", "minimum": 1},
         "price": {"type": ["number", "null"]},
         "at": {"type": "string", "format": "date-time"},
         "from": {"type": "string", "format": "ipv4"},
         "kind": {"enum": ["a", "b"]},
         "tags": {"type": "array", "items": {"type": "string"}},
         "sub": {"allOf": [{"$ref": "#/$defs/sub"}, {"required": ["n"]}]}},
       "$defs": {"sub": {"type": "object", "properties": {"n": {"type": "integer"}, "ok": {"type": "boolean"}}}}}""");

  @Property(tries = 1000)
  void everyValidBodyReadsAsTheType(@ForAll("bodies") Map<String, Object> body) {
    boolean valid = BODY.validate(body).isEmpty();
    Statistics.collect(valid);
    Statistics.coverage(c -> c.check(true).percentage(p -> p > 5));
    if (valid) {
      assertThat(fits(body, BODY.type())).as("%s fits %s", body, BODY.type().display()).isTrue();
    }
  }

  @Provide
  Arbitrary<Map<String, Object>> bodies() {
    Arbitrary<Object> scalars = Arbitraries.oneOf(
        Arbitraries.of("6f1c64b2-4a3e-4a35-9b7a-0a8f3e1f2a11", "not-a-uuid", "a", "b", "c", "10.0.0.1", "::1",
            "2026-12-02T13:00:00Z", "2026-12-02t13:00:00.5z", "2026-12-02T13:00:00+01:00", "2016-12-31T23:59:60Z",
            "2026-12-02", "").map(s -> (Object) s),
        Arbitraries.longs().between(-3, 5).map(l -> (Object) l),
        Arbitraries.of(new BigDecimal("1.0"), new BigDecimal("2.5"), new BigDecimal("1E+2"),
            new BigDecimal("123456789012345678901234567890")).map(d -> (Object) d),
        Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.just(null));
    Arbitrary<Object> lists = scalars.list().ofMaxSize(3).map(l -> (Object) l);
    Arbitrary<Object> subs = Combinators.combine(scalars, scalars).as((n, ok) -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("n", n);
      m.put("ok", ok);
      return (Object) m;
    });
    Arbitrary<Object> any = Arbitraries.oneOf(scalars, lists, subs);
    Map<String, Arbitrary<Object>> plausible = new LinkedHashMap<>();
    plausible.put("id", Arbitraries.just("6f1c64b2-4a3e-4a35-9b7a-0a8f3e1f2a11"));
    plausible.put("qty", Arbitraries.of(1L, 7L, new BigDecimal("1.0"), new BigDecimal("1E+2"),
        new BigDecimal("123456789012345678901234567890"), new BigDecimal("2.5")));
    plausible.put("price", Arbitraries.of(3L, new BigDecimal("2.50"), "null").map(v -> v.equals("null") ? null : v));
    plausible.put("at", Arbitraries.of("2026-12-02T13:00:00Z", "2026-12-02t13:00:00.5z", "2026-12-02T13:00:00+01:00",
        "2016-12-31T23:59:60Z", "2026-12-02T13:00:00.123456789-05:00"));
    plausible.put("from", Arbitraries.of("10.0.0.1", "255.255.255.255", "0.0.0.0"));
    plausible.put("kind", Arbitraries.of("a", "b"));
    plausible.put("tags", Arbitraries.of("x", "").list().ofMaxSize(3).map(l -> l));
    plausible.put("sub", Combinators.combine(Arbitraries.of(1L, new BigDecimal("4.0")), Arbitraries.of(true, false))
        .as((n, ok) -> Map.of("n", n, "ok", ok)));
    List<Arbitrary<Map.Entry<String, Object>>> fields = plausible.entrySet().stream().map(e -> {
      Arbitrary<Object> value = Arbitraries.frequencyOf(
          net.jqwik.api.Tuple.of(12, e.getValue()), net.jqwik.api.Tuple.of(1, any));
      boolean required = e.getKey().equals("id") || e.getKey().equals("qty");
      return value.map(v -> (Map.Entry<String, Object>) new java.util.AbstractMap.SimpleEntry<>(e.getKey(), v))
          .injectNull(required ? 0.03 : 0.5);
    }).toList();
    return Combinators.combine(fields).as(entries -> {
      Map<String, Object> m = new LinkedHashMap<>();
      entries.stream().filter(java.util.Objects::nonNull).forEach(e -> m.put(e.getKey(), e.getValue()));
      return m;
    });
  }

  /** Whether `compile.BodyReader` reads `v` as a value of `t`. */
  static boolean fits(Object v, Type t) {
    if (t instanceof Type.Optional o) {
      return v == null || fits(v, o.inner());
    }
    if (v == null) {
      return false;
    }
    if (t instanceof Type.ListType l) {
      return v instanceof List<?> items && items.stream().allMatch(x -> fits(x, l.element()));
    }
    if (t instanceof Type.MapType m) {
      return v instanceof Map<?, ?> entries && entries.values().stream().allMatch(x -> fits(x, m.value()));
    }
    if (t instanceof Type.RecordType r) {
      return v instanceof Map<?, ?> fields
          && r.fields().entrySet().stream().allMatch(e -> fits(fields.get(e.getKey()), e.getValue()));
    }
    if (t == Type.STRING) {
      return v instanceof String;
    }
    if (t == Type.BOOL) {
      return v instanceof Boolean;
    }
    if (t == Type.INT) {
      if (v instanceof BigDecimal d) {
        try {
          d.longValueExact();
          return true;
        } catch (ArithmeticException e) {
          return false;
        }
      }
      return v instanceof Long;
    }
    if (t == Type.DECIMAL) {
      return v instanceof Long || v instanceof BigDecimal;
    }
    if (t == Type.TIME) {
      try {
        return v instanceof String s && Instant.parse(s) != null;
      } catch (DateTimeParseException e) {
        return false;
      }
    }
    if (t == Type.IP) {
      return v instanceof String s && IpAddress.parse(s) != null;
    }
    return false;
  }
}
