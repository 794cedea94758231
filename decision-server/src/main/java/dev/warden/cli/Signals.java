package dev.warden.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSIX signals for `warden serve`, through `sun.misc.Signal`.
 *
 * <p>The JDK has no supported API for signals: on SIGTERM, SIGINT and SIGHUP it only runs the
 * shutdown hooks and exits with 128 + the signal's number, which is why SIGHUP used to stop the
 * sidecar and SIGTERM ended with 143. `sun.misc.Signal` (module `jdk.unsupported`, present in
 * every JDK and JRE since 9, and what Netty, Kafka and Elasticsearch use for this) lets Warden
 * take those signals itself.
 *
 * <p>It is reached by reflection, so that Warden still runs where it is missing (a runtime image
 * built without `jdk.unsupported`) or refuses a signal (a JVM started with `-Xrs`, which leaves
 * SIGTERM, SIGINT and SIGHUP to the OS): {@link #handle} then says so and the JVM's own handling
 * stays, with the shutdown hook `serve` installs for it.
 */
final class Signals {
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /**
   * Runs {@code handler} on a thread of its own each time the process gets signal {@code name}
   * (`TERM`, `INT`, `HUP`), instead of the JVM's default.
   *
   * @return false, with the JVM's handling left in place, when this JVM cannot hand the signal over
   */
  static boolean handle(String name, Runnable handler) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      InvocationHandler call = (proxy, method, args) -> switch (method.getName()) {
        case "handle" -> {
          handler.run();
          yield null;
        }
        case "hashCode" -> System.identityHashCode(proxy);
        case "equals" -> proxy == args[0];
        case "toString" -> "warden SIG" + name + " handler";
        default -> throw new UnsupportedOperationException(method.getName());
      };
      Object proxy = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerType}, call);
      signal.getMethod("handle", signal, handlerType)
          .invoke(null, signal.getConstructor(String.class).newInstance(name), proxy);
      return true;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      Throwable why = e instanceof java.lang.reflect.InvocationTargetException t && t.getCause() != null ? t.getCause() : e;
      log.debug("cannot handle SIG{} in this JVM: {}", name, why.toString());
      return false;
    }
  }
}
