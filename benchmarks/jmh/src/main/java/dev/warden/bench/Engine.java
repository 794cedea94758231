package dev.warden.bench;

/** An authorization engine under test: allow or deny one request. */
public interface Engine {
  String name();

  boolean allowed(Input input);
}
