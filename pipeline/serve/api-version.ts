/** The API version every response carries: the package version of this code. */
import pkg from '../../package.json' with { type: 'json' };

export const API_VERSION: string = pkg.version;
