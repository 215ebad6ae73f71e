import { name, version } from '../package.json';

/** The package's name and version as package.json states them: the manifest's generator, the CLI's --version. */
export const PACKAGE = { name, version } as const;
