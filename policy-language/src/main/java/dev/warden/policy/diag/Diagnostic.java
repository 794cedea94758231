package dev.warden.policy.diag;

import java.util.Objects;
import java.util.Optional;

/**
 * One problem found in a bundle. The message follows the project's error style: lowercase, no
 * final period, user input in backticks, one line. The help, when present, suggests a fix.
 *
 * @param code a stable identifier such as {@code check.unknown_name}, listed in docs/errors.md
 */
public record Diagnostic(Severity severity, String code, Span span, String message, String help) {
  public Diagnostic {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(message, "message");
  }

  public static Diagnostic error(String code, Span span, String message) {
    return new Diagnostic(Severity.ERROR, code, span, message, null);
  }

  public static Diagnostic warning(String code, Span span, String message) {
    return new Diagnostic(Severity.WARNING, code, span, message, null);
  }

  public Diagnostic withHelp(String newHelp) {
    return new Diagnostic(severity, code, span, message, newHelp);
  }

  public Optional<String> helpText() {
    return Optional.ofNullable(help);
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** One line: {@code file:line:col: error[code]: message}. */
  @Override
  public String toString() {
    return span + ": " + severity.label() + "[" + code + "]: " + message;
  }
}
