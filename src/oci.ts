/**
 * The image format's constants, shared by the archive reader and the registry
 * client: the media types of Docker's and the OCI's manifests and indexes, and
 * the digest grammar of the OCI image spec.
 */

export const DOCKER_MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** Media types of a list of per-platform manifests. */
export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);
/** Media types of one platform's image manifest. */
export const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set([DOCKER_MANIFEST_V2, OCI_MANIFEST]);

/** A digest, `algorithm:encoded`, with both parts captured (the OCI image spec's grammar). */
export const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
/** A sha256 digest as registries and Docker write it: 64 lowercase hex digits. */
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
