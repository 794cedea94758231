package dev.warden.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What this JVM logs at WARN or above (or another level) while it is open, through the same
 * Logback configuration (logback.xml's logger levels included) that the sidecar runs with.
 */
public final class LogCapture implements AutoCloseable {
  private final Logger root;
  private final Level min;
  private final List<String> lines = new ArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent e) {
      if (e.getLevel().isGreaterOrEqual(min)) {
        synchronized (lines) {
          lines.add(e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
              + (e.getThrowableProxy() == null ? ""
                  : " [" + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage() + "]"));
        }
      }
    }
  };

  public LogCapture() {
    this(Level.WARN);
  }

  /** What is logged at {@code min} or above. */
  public LogCapture(Level min) {
    this.min = min;
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    appender.setContext(context);
    appender.setName("log-capture");
    appender.start();
    root.addAppender(appender);
  }

  /**
   * The lines so far (warnings and errors, by default), as `LEVEL logger - message`, and
   * ` [exception class: message]` when the line has a stack trace.
   */
  public List<String> warnings() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}
