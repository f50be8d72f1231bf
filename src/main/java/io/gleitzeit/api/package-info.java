/**
 * The HTTP API of SPEC §5 on Pekko HTTP: routes, request checks and the JSON shapes of answers and errors.
 * Bad input is answered 4xx with a body that says what is wrong and where; never a 500.
 */
package io.gleitzeit.api;
