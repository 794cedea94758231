package dev.warden.policy.diag;

/** How bad a diagnostic is. Only errors stop a bundle from compiling. */
public enum Severity {
  ERROR,
  WARNING;

  public String label() {
    return this == ERROR ? "error" : "warning";
  }
}
