package dev.warden.policy.runtime;

import java.util.Locale;

/**
 * One entry of a bundle's `redact log { … }`: a field of the decision record and what the
 * sidecar does to its value before the record leaves the process. Data only: the language
 * module holds no key and hashes nothing; the server applies the action.
 *
 * <p>Invariant: {@code name} is as the server compares it: a header name in lower case, a query
 * parameter's decoded name in lower case (Warden's default masking matches query names so too),
 * a claim's name as written (JSON keys are case-sensitive).
 *
 * @param field which part of the record
 * @param name the header, query parameter or claim
 * @param action what happens to its value
 * @param location `file:line` of the entry, for explanations
 */
public record LogRedaction(Field field, String name, Action action, String location) {

  /** The parts of a decision record a policy may redact. */
  public enum Field {
    HEADER("request.headers"),
    QUERY("request.query"),
    CLAIM("principal.claims");

    private final String path;

    Field(String path) {
      this.path = path;
    }

    /** The path of the field's map in the record, as a policy writes it: `request.headers`. */
    public String path() {
      return path;
    }
  }

  /** What happens to a redacted value. */
  public enum Action {
    /** The value reads `[masked]`; the default action. */
    MASK,
    /** The field is left out of the record. */
    REMOVE,
    /** The value is replaced by a keyed hash (HMAC-SHA256), equal for equal values within one key. */
    HASH,
    /** The last four characters are kept when the value has at least eight; else it is masked whole. */
    LAST4;

    /** How the action is written in a policy: `mask`, `remove`, `hash`, `last4`. */
    public String keyword() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The action written {@code word}, or null when there is none. */
    public static Action of(String word) {
      for (Action a : values()) {
        if (a.keyword().equals(word)) {
          return a;
        }
      }
      return null;
    }
  }

  /** The path a policy writes: `request.headers.x-user-email`. */
  public String path() {
    return field.path() + "." + name;
  }
}
