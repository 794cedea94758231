package dev.warden.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * File-system events (inotify on Linux, through the JDK's WatchService) on a bundle's folders, as
 * a hint only: each event makes the watch poll now instead of at its next interval. The poll's
 * fingerprint stays the source of truth, because events are not reliable here: they do not
 * follow links, folders created later are not watched, and a ConfigMap's `..data` swap may be
 * reported as nothing useful. Missing an event costs at most one poll interval.
 */
final class PathEvents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PathEvents.class);
  /** Folders watched at most: inotify watches are a per-user kernel resource. */
  private static final int MAX_FOLDERS = 256;

  private final WatchService service;
  private final Thread thread;

  private PathEvents(WatchService service, Runnable onEvent) {
    this.service = service;
    this.thread = new Thread(() -> {
      try {
        while (true) {
          WatchKey key = service.take();
          key.pollEvents();
          key.reset();
          onEvent.run();
        }
      } catch (ClosedWatchServiceException | InterruptedException e) {
        // Closed: the server stops.
      }
    }, "warden-bundle-events");
    thread.setDaemon(true);
  }

  /**
   * Watches the bundle folder and the folders below it (following links), or an archive's
   * folder; null when this file system cannot, in which case polling alone keeps watch.
   */
  static PathEvents start(Path bundle, Runnable onEvent) {
    Path root = Files.isDirectory(bundle) ? bundle : bundle.toAbsolutePath().getParent();
    WatchService service = null;
    try {
      service = root.getFileSystem().newWatchService();
      List<Path> folders;
      try (Stream<Path> walk = Files.isDirectory(bundle) ? Files.walk(root, 16, FileVisitOption.FOLLOW_LINKS)
          : Stream.of(root)) {
        folders = walk.filter(Files::isDirectory).limit(MAX_FOLDERS).toList();
      }
      for (Path folder : folders) {
        folder.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
            StandardWatchEventKinds.ENTRY_MODIFY);
      }
      PathEvents events = new PathEvents(service, onEvent);
      events.thread.start();
      return events;
    } catch (IOException | UncheckedIOException | UnsupportedOperationException | SecurityException e) {
      log.debug("bundle watch: no file-system events for `{}` ({}); polling only", bundle, e.toString());
      if (service != null) {
        try {
          service.close();
        } catch (IOException ignored) {
          // Nothing was registered that outlives it.
        }
      }
      return null;
    }
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      log.debug("bundle watch: closing the watch service failed", e);
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
