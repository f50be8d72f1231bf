package io.gleitzeit.cli;

import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gleitzeit watch ID}: the workflow's tasks changing state live, from its server-sent event stream.
 * On a terminal the table is redrawn after every change; otherwise (a pipe, a file) one line per change.
 * Exits when the workflow ends: 0 when it completed, 1 otherwise.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Show a workflow's tasks changing state live, until it ends.")
final class WatchCommand extends ClientCommand {

  @Parameters(index = "0", description = "workflow id") String id;
  @Spec CommandSpec spec;

  private final ApiClient client;
  private final Boolean terminal;

  WatchCommand() {
    this(null, null);
  }

  /** For tests: another node than GLEITZEIT_URL's, and whether to draw as on a terminal (null: detect). */
  WatchCommand(ApiClient client, Boolean terminal) {
    this.client = client;
    this.terminal = terminal;
  }

  @Override
  protected int execute() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    boolean tty = terminal != null ? terminal : System.console() != null;
    WatchView view = new WatchView(id);
    return followKnown(client != null ? client : api, id, envelope -> {
      WatchView.Row changed = view.apply(envelope);
      if (tty) {
        out.print(WatchView.CLEAR + view.table());
      } else if (changed != null) {
        out.println(WatchView.line(changed));
      }
      out.flush();
    }, end -> {
      if (!tty) {
        out.println("workflow " + id + " " + view.status());
        out.flush();
      }
      return "completed".equals(view.status()) ? 0 : 1;
    });
  }
}
