package dev.warden.adversarial;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named callers of the corpus, as the claims their identity provider signs. The data of the
 * example bundle (`policies/shop/data`) gives them their meaning: alice owns order
 * `7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01` of tenant acme, mallory is another customer of acme.
 */
final class Callers {
  /**
   * The time of every request unless a case says otherwise: fixed, so that route lifecycles
   * (`since`, `retired`) decide alike on any day the suite runs. Tokens are issued at the real
   * time, which is what the sidecar checks them against.
   */
  static final Instant DEFAULT_TIME = Instant.parse("2026-11-20T10:00:00Z");

  static final String ANONYMOUS = "anonymous";

  private static final Map<String, Map<String, Object>> CLAIMS = Map.of(
      "alice", claims("alice", List.of("customer"), "acme", null),
      "mallory", claims("mallory", List.of("customer"), "acme", null),
      "sam", claims("sam", List.of("support"), "acme", null),
      "ann", claims("ann", List.of("auditor"), null, null),
      "root", claims("root", List.of("admin"), "acme", List.of("pwd")),
      "root_mfa", claims("root", List.of("admin"), "acme", List.of("pwd", "mfa")));

  private Callers() {}

  /**
   * The claims of {@code name} with {@code extra} added or replaced, or null for an anonymous
   * caller (no name, or `anonymous`) without extra claims.
   */
  static Map<String, Object> claims(String name, Map<String, Object> extra) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (name != null && !name.equals(ANONYMOUS)) {
      Map<String, Object> known = CLAIMS.get(name);
      if (known == null) {
        throw new IllegalArgumentException("no caller `" + name + "`; the corpus knows " + CLAIMS.keySet());
      }
      out.putAll(known);
    }
    if (extra != null) {
      out.putAll(extra);
    }
    return out.isEmpty() && (name == null || name.equals(ANONYMOUS)) ? null : out;
  }

  static boolean isKnown(String name) {
    return name == null || name.equals(ANONYMOUS) || CLAIMS.containsKey(name);
  }

  private static Map<String, Object> claims(String sub, List<String> roles, String tenant, List<String> amr) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sub", sub);
    m.put("roles", roles);
    if (tenant != null) {
      m.put("tenant", tenant);
    }
    if (amr != null) {
      m.put("amr", amr);
    }
    return java.util.Collections.unmodifiableMap(m);
  }
}
