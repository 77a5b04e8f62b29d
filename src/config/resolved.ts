// The configuration resolved once: the file's view, the view in force (the file with the
// environment's overrides) and the parsed forms of the view in force (CIDRs, exclusions, port sets,
// profiles, compiled crons). Built by the one validation of a change (app-config.ts), kept whole in
// the app context and replaced as a whole, followed by the feed's `config` event. Its users (scan
// plans, the passive watch, the scheduler) read the parsed forms and parse nothing again.
import { resolveParts, type AppConfig, type ResolvedParts } from "./schema.ts";

export type ResolvedConfig = Readonly<
  ResolvedParts & {
    /** What the configuration file says, defaults filled in (what a PUT merges into). */
    file: AppConfig;
    /** The configuration in force: the file with the environment's overrides. */
    config: AppConfig;
  }
>;

/** Resolved views by the configuration object they resolve: a view is built once per configuration. */
const views = new WeakMap<AppConfig, ResolvedConfig>();

/** Makes `view` the one answer of resolvedView(view.config). */
export function keepResolved(view: ResolvedConfig): ResolvedConfig {
  views.set(view.config, view);
  return view;
}

/**
 * The resolved view of a configuration in force: the one its validation built, or (for a
 * configuration built by hand, as tests and tools do) one resolved now and kept for next time.
 */
export function resolvedView(config: AppConfig): ResolvedConfig {
  return views.get(config) ?? keepResolved({ ...resolveParts(config), file: config, config });
}
