package dev.warden.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * `log.format`: the application logs as logback.xml writes them (`text`, a line per event for
 * people), or one JSON object per line (`json`) from Logback's own {@link JsonEncoder}, for a log
 * pipeline. Switched once, after the configuration is read and before the server starts, on the
 * appenders of the root logger that logback.xml sets up (standard error); nothing else logs then.
 *
 * <p>A JSON line has `timestamp` (epoch milliseconds), `level`, `threadName`, `loggerName`,
 * `formattedMessage`, the MDC and key-value pairs when an event has them (`kvpList`: a decision
 * line's `decision_id`), and `throwable` with its stack frames. The raw pattern, its arguments,
 * the sequence number and Logback's context are left out: they repeat what the line says.
 */
final class LogFormat {
  private LogFormat() {}

  /** Makes every root appender that writes a stream (the console) encode events as {@code format} says. */
  static void apply(String format) {
    if (!format.equals("json") || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out) {
        out.setEncoder(json(context));
      }
    }
  }

  /** The JSON encoder, with the fields a log pipeline needs and none that repeat them. */
  static JsonEncoder json(LoggerContext context) {
    JsonEncoder e = new JsonEncoder();
    e.setContext(context);
    e.setWithSequenceNumber(false);
    e.setWithNanoseconds(false);
    e.setWithContext(false);
    e.setWithMessage(false);
    e.setWithArguments(false);
    e.setWithFormattedMessage(true);
    e.start();
    return e;
  }
}
