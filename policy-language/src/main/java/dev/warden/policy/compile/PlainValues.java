package dev.warden.policy.compile;

/** Converts runtime values to plain Java values (maps, lists, strings, numbers). */
public final class PlainValues {
  private PlainValues() {}

  public static Object of(Object runtimeValue) {
    return Values.toPlain(runtimeValue);
  }
}
