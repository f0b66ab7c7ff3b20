// Package deploy holds the tests of the Docker Compose file (compose.yaml),
// the Dockerfile and the .dockerignore at the root of the repository. They
// load compose.yaml with the Compose project's own loader and check what
// can be checked without a container engine: that it validates with every
// profile, that the services can start in order and be scaled, that the
// images are pinned and non-root, and that each binary gets the settings its
// code needs and nothing it does not read.
package deploy
