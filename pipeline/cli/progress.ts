/** How a run shows itself: a progress bar in a terminal, one plain line per event in CI and logs. */
import cliProgress from 'cli-progress';
import type { RunEvents } from '../run/events.js';

export interface Output {
  events: RunEvents;
  done(): void;
}

function line(stage: string, text: string): void {
  process.stderr.write(`${stage.padEnd(9)}${text}\n`);
}

export function createOutput(options: { interactive: boolean; quiet?: boolean }): Output {
  if (options.quiet) return { events: {}, done() {} };
  let bar: cliProgress.SingleBar | undefined;
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const events: RunEvents = {
    stage(name, detail) {
      stopBar();
      line(name, detail);
    },
    epoch(log, epochs, trial) {
      if (!options.interactive) {
        line(
          '',
          `${trial ? `trial ${trial} ` : ''}epoch ${log.epoch}/${epochs}  loss ${log.loss.toFixed(4)}  val_loss ${log.val_loss.toFixed(4)}`,
        );
        return;
      }
      if (!bar || log.epoch === 1) {
        stopBar();
        bar = new cliProgress.SingleBar(
          {
            format: `         ${trial ? `trial ${trial} ` : ''}{bar} epoch {value}/{total}  loss {loss}  val_loss {val_loss}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(epochs, 0, { loss: '-', val_loss: '-' });
      }
      bar.update(log.epoch, { loss: log.loss.toFixed(4), val_loss: log.val_loss.toFixed(4) });
    },
    trial(record, trials) {
      stopBar();
      line(
        'search',
        `trial ${record.trial}/${trials} ${JSON.stringify(record.params)}: ${record.metric} ${record.score.toFixed(4)}`,
      );
    },
  };
  return { events, done: stopBar };
}

export function isInteractive(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env['CI'];
}
