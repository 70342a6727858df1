#ifndef CIVICLEDGER_CSODIUM_SHIM_H
#define CIVICLEDGER_CSODIUM_SHIM_H
#include <sodium.h>
#endif
