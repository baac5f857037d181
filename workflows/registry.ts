/**
 * The model registry steps of the reusable workflows run only when the caller
 * passes the MLOPS_REGISTRY secret (a gs:// URL): `if:` cannot read secrets, so
 * the job puts it in its environment and the steps test that.
 */
export const REGISTRY_ENV = { MLOPS_REGISTRY: '${{ secrets.MLOPS_REGISTRY }}' };
export const WITH_REGISTRY = "env.MLOPS_REGISTRY != ''";
/**
 * The service account key reaches the registry steps alone, as the key's JSON in
 * MLOPS_GCS_CREDENTIALS: the registry takes credentials as a data remote does,
 * so no key file is written to the runner's disk.
 */
export const KEY_ENV = { MLOPS_GCS_CREDENTIALS: '${{ secrets.GCP_SA_KEY }}' };

export const REGISTRY_SECRETS = {
  MLOPS_REGISTRY: {
    description: 'The model registry, gs://bucket/prefix; without it nothing is registered',
    required: false,
  },
  GCP_SA_KEY: {
    description: "A service account key (JSON) that may write the registry's bucket",
    required: false,
  },
};
